"""Exact formulas over size symbols, their text forms, and arithmetic on int-or-formula sizes."""
