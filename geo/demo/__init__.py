"""Synthetic demo records on real geography (all records are synthetic)."""
