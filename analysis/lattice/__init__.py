"""Lattices: aggregation grids, automatic scale and spatial autocorrelation."""
