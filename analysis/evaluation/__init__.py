"""Evaluation: hotspot accuracy and the rolling-origin backtest."""
