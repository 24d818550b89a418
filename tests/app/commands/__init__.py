"""Tests of ``app.commands``."""
