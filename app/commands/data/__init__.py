"""Commands that bring records into the store or delete them: ingest, demo, police.uk, SSDA903,
venues, retention. Each module exposes ``register(subparsers)`` (see :mod:`app.cli`)."""
