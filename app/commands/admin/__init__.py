"""Commands that run the service: the audit log, user accounts, serving the app. Each module exposes
``register(subparsers)`` (see :mod:`app.cli`)."""
