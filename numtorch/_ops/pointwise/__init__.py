"""Pointwise ops: one output element per input element (or per broadcast group of elements).

Arithmetic, unary math functions, two-input blends (maximum, clamp, where, ...), comparisons
and logical/bitwise ops, the special functions and complex views all live here.
"""
