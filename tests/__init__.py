"""Tests of ``tests``."""
