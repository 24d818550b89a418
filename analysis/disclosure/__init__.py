"""Disclosure control: suppression, rounding, cell keys, displacement."""
