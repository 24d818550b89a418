"""Commands that write what people take away: the disruption pack, location assessments, board
reports. Each module exposes ``register(subparsers)`` (see :mod:`app.cli`)."""
