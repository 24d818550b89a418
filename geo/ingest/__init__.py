"""Ingest: read a file, check it, type its records, quarantine the rest."""
