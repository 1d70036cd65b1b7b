"""Shape ops: views and rearrangements that move elements without computing new values.

Reshapes and views (reshape, permute, squeeze, split, ...), and copies that reorder or
replicate data (flip, roll, repeat, tril, cat, stack, ...).
"""
