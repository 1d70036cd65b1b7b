"""Reductions: ops that combine many input elements along dimensions into fewer outputs.

Sums, means, extrema, statistics (var, std, norm, order statistics), sorting and searching.
"""
