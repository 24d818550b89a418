"""Hotspot methods behind one registry (:func:`run`) and their result."""
