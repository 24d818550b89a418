"""Tests of ``geo``."""
