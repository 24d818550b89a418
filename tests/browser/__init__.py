"""Tests of ``browser``."""
