"""The ``csmap`` command line.

Each sub-command lives in its own module under :mod:`app.commands` and exposes
``register(subparsers)``; this module only assembles them. Exit status: 0 success,
2 bad input or usage (the message names the file and what is wrong), 1 unexpected failure.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

#: Sub-command modules, in the order ``csmap --help`` lists them.
COMMAND_MODULES: tuple[str, ...] = (
    "app.commands.data.ingest",
    "app.commands.data.demo",
    "app.commands.analyse.hotspots",
    "app.commands.admin.serve",
    "app.commands.admin.audit",
    "app.commands.admin.users",
    "app.commands.outputs.report",
    "app.commands.data.venues",
    "app.commands.outputs.disruption",
    "app.commands.outputs.assess",
    "app.commands.data.retention",
    "app.commands.analyse.spacetime",
    "app.commands.data.policeuk",
    "app.commands.analyse.evaluate",
    "app.commands.data.ssda903",
)


def build_parser() -> argparse.ArgumentParser:
    """Build the top-level parser with every registered sub-command."""
    parser = argparse.ArgumentParser(
        prog="csmap",
        description="Contextual safeguarding hotspot maps (offline; nothing leaves the machine).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:  # every command exists: an import error must fail loudly
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``csmap`` command line and return its exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    func = args.func
    status = func(args)
    return int(status or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
