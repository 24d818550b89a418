"""Locate: coordinates, grid references and offline geocoding of records."""
