"""``csmap demo-data --out DIR``: write synthetic demo records on real geography as CSVs.

Writes ``concerns.csv``, ``missing_episodes.csv`` and ``placements.csv`` (canonical columns, UTF-8)
to DIR and prints a JSON summary of row counts on stdout. The records are synthetic (see
:mod:`geo.demo.records`); the same seed, scale and area always give the same files.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from geo.errors import CsmapError

#: Output file per record kind.
FILES: dict[str, str] = {
    "concerns": "concerns.csv",
    "missing_episodes": "missing_episodes.csv",
    "placements": "placements.csv",
}


def register(subparsers: Any) -> None:
    """Add the ``demo-data`` sub-command."""
    parser = subparsers.add_parser(
        "demo-data",
        help="write synthetic demo records (concerns, missing episodes, placements) as CSVs",
        description=__doc__.splitlines()[0] if __doc__ else None,
    )
    parser.add_argument("--out", required=True, help="output folder (created if absent)")
    parser.add_argument("--seed", type=int, default=20261121, help="random seed (default 20261121)")
    parser.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="size: 1 = ~3,000 concerns over two years; 300 = ~900,000",
    )
    parser.add_argument("--area", choices=("kirklees", "solihull"), default="kirklees")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``csmap demo-data``; return the exit status."""
    from geo.demo.records import (
        SYNTHETIC_NOTICE,
        as_csv_text,
        generate,
    )

    out = Path(args.out)
    if out.exists() and not out.is_dir():
        print(f"csmap demo-data: {out}: exists and is not a folder", file=sys.stderr)
        return 2
    try:
        frames = generate(area=args.area, seed=args.seed, scale=args.scale)
    except CsmapError as exc:
        print(f"csmap demo-data: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 2
    try:
        out.mkdir(parents=True, exist_ok=True)
        for kind, frame in frames.items():
            target = out / FILES[kind]
            tmp = target.with_suffix(".csv.tmp")
            as_csv_text(frame).to_csv(tmp, index=False, encoding="utf-8")
            tmp.replace(target)
    except OSError as exc:
        print(f"csmap demo-data: {out}: cannot write ({exc.strerror or exc})", file=sys.stderr)
        return 2
    summary = {
        "out": str(out),
        "area": args.area,
        "seed": args.seed,
        "scale": args.scale,
        "files": {kind: str(out / name) for kind, name in FILES.items()},
        "rows": {kind: len(frame) for kind, frame in frames.items()},
        "notice": SYNTHETIC_NOTICE,
    }
    print(json.dumps(summary, indent=2))
    return 0
