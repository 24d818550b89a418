"""Tests of ``app.pages``."""
