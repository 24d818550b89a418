"""Places: the study area's boundaries, population, venues and reference data."""
