"""Spec files: safe YAML with line numbers (``source``) → validated models (``models``,
``sheet_models``) → a concrete Problem (``build``).

Import from the modules themselves: this package loads nothing, so that its light modules (the
choices a sheet offers, the sheet's models) come without NumPy and the op catalogue.
"""
