"""Benchmark: a CSV of ~1 M concerns -> ``csmap hotspots`` -> written hotspots file.

Target (issue #3): under 30 s and under 2 GB peak memory, end to end in a fresh process (import,
CSV read, validation exactly as ingest, location resolution, area assignment, the method, the
written file). Data: :func:`geo.demo.records.generate` at ``scale=334`` (1,002,000 synthetic
Kirklees
concerns), written to CSV beforehand (not timed). Each method run is its own ``csmap hotspots``
process; its wall time and peak RSS (``os.wait4``) are reported.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

METHODS = ("gi", "kde")
ROOT = Path(__file__).resolve().parents[1]


def run() -> list[dict[str, Any]]:
    """Generate ~1M concerns, write CSV, time ``csmap hotspots`` for each method."""
    from geo.demo.records import generate

    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        concerns = generate(seed=20261121, scale=334)["concerns"]
        n = len(concerns)
        csv = Path(tmp) / "concerns.csv"
        concerns.to_csv(csv, index=False)
        del concerns
        size_mb = csv.stat().st_size / 1024**2
        for method in METHODS:
            out = Path(tmp) / f"hotspots_{method}.geojson"
            wall, rss, rc, tail = _measure(
                ["hotspots", str(csv), "--method", method, "--out", str(out)]
            )
            ok = rc == 0 and out.exists()
            label = f"csmap hotspots --method {method}: {n:,} concerns ({size_mb:.0f} MB CSV)"
            if not ok:
                label += f" FAILED (exit {rc}: {tail[:120]})"
            rows.append(
                {
                    "benchmark": "pipeline",
                    "metric": f"{label}, wall time",
                    "value": wall,
                    "unit": "s",
                    "target": "< 30 s",
                    "passed": ok and wall < 30,
                }
            )
            rows.append(
                {
                    "benchmark": "pipeline",
                    "metric": f"{label}, peak RSS",
                    "value": rss,
                    "unit": "MiB",
                    "target": "< 2048 MiB",
                    "passed": ok and rss < 2048,
                }
            )
    return rows


def _measure(args: list[str]) -> tuple[float, float, int, str]:
    """Like :func:`_run_cli` but reaps the child with ``os.wait4`` to get its own peak RSS."""
    code = "import sys; from app.cli import main; raise SystemExit(main(sys.argv[1:]))"
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-c", code, *args], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err
        )
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        lines = err.read().decode(errors="replace").strip().splitlines()
    return wall, usage.ru_maxrss / 1024, proc.returncode, lines[-1] if lines else ""
