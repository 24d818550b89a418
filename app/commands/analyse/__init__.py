"""Commands that compute: hotspots, emerging hot spots, space-time tests, accuracy backtests. Each
module exposes ``register(subparsers)`` (see :mod:`app.cli`)."""
