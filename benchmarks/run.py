"""Run csmap's benchmarks and write ``benchmarks/RESULTS.md``.

Usage::

    python -m benchmarks.run                 # every benchmarks/bench_*.py
    python -m benchmarks.run bench_kde clusters   # only these (with or without the bench_ prefix)

Each benchmark module exposes ``run() -> list[dict]``; every dict has the keys ``benchmark``,
``metric``, ``value``, ``unit``, ``target`` (text such as ``">= 100000 rows/s"``) and ``passed``
(bool, or None when there is no target). Each module runs in its own Python subprocess so that the
peak resident memory recorded for it is its own; the runner adds two rows per module
(``wall time (whole module)`` and ``peak RSS (module process)``).

``RESULTS.md`` keeps the rows of benchmarks that did not run this time and replaces the rows of
those that did. The machine (CPU, cores, RAM, Python, package versions) and the date of each
module's last run are recorded beside the figures.

Exit status: 0 when every module ran (missed targets are reported, not failures), 1 when a module
crashed or returned malformed rows, 2 when a named benchmark does not exist.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "RESULTS.md"
KEYS = ("benchmark", "metric", "value", "unit", "target", "passed")
PACKAGES = (
    "numpy",
    "pandas",
    "geopandas",
    "shapely",
    "scikit-learn",
    "fast-hdbscan",
    "numba",
    "hdbscan",
    "KDEpy",
    "esda",
    "pyogrio",
)

# The child process: import the module, call run(), write rows and peak RSS as JSON to a file
# (not stdout, so that a benchmark's own prints cannot corrupt the result).
_CHILD = """
import json, resource, sys, time, importlib
sys.path.insert(0, {root!r})
t0 = time.perf_counter()
mod = importlib.import_module({module!r})
rows = mod.run()
wall = time.perf_counter() - t0
rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
with open({out!r}, "w") as fh:
    json.dump({{"rows": rows, "wall_s": wall, "peak_rss_kb": rss_kb}}, fh, default=str)
"""


def discover(names: list[str] | None = None) -> list[str]:
    """Return the benchmark module names to run (``bench_*`` stems), sorted.

    Parameters
    ----------
    names : list of str, optional
        Module names with or without the ``bench_`` prefix or ``.py`` suffix; all when None.

    Returns
    -------
    list of str
        Stems such as ``"bench_kde"``.

    Raises
    ------
    FileNotFoundError
        When a named benchmark has no module.

    Examples
    --------
    >>> "bench_kde" in discover() or True
    True
    """
    available = sorted(p.stem for p in HERE.glob("bench_*.py"))
    if not names:
        return available
    chosen = []
    for name in names:
        stem = Path(name).stem
        stem = stem if stem.startswith("bench_") else f"bench_{stem}"
        if stem not in available:
            raise FileNotFoundError(f"benchmarks/{stem}.py: no such benchmark")
        chosen.append(stem)
    return chosen


def machine() -> dict[str, str]:
    """Describe this machine: CPU model, cores, RAM, Python and key package versions.

    Examples
    --------
    >>> sorted(machine())[:2]
    ['cores', 'cpu']
    """
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = f"{int(line.split()[1]) / 1024**2:.1f} GiB"
                break
    except OSError:
        pass
    versions = []
    for pkg in PACKAGES:
        try:
            versions.append(f"{pkg} {metadata.version(pkg)}")
        except metadata.PackageNotFoundError:
            continue
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "ram": ram,
        "python": platform.python_version(),
        "os": platform.platform(),
        "packages": ", ".join(versions),
    }


def run_module(stem: str, *, timeout: float = 1800.0) -> dict[str, Any]:
    """Run one benchmark module in a fresh subprocess.

    Returns
    -------
    dict
        ``rows`` (list of dict, the module's rows plus wall-time and peak-RSS rows, each with
        an added ``module`` key),
        ``ok`` (bool) and ``error`` (str, empty when ok).

    Examples
    --------
    >>> callable(run_module)
    True
    """
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "rows.json")
        code = _CHILD.format(root=str(ROOT), module=f"benchmarks.{stem}", out=out)
        try:
            proc = subprocess.run(
                [sys.executable, "-c", code], cwd=ROOT, timeout=timeout, check=False
            )
        except subprocess.TimeoutExpired:
            return {"rows": [], "ok": False, "error": f"{stem}: timed out after {timeout:.0f} s"}
        if proc.returncode != 0 or not os.path.exists(out):
            return {"rows": [], "ok": False, "error": f"{stem}: exited {proc.returncode}"}
        with open(out) as fh:
            payload = json.load(fh)
    rows = payload["rows"]
    if not isinstance(rows, list) or any(
        not isinstance(r, dict) or set(KEYS) - set(r) for r in rows
    ):
        return {"rows": [], "ok": False, "error": f"{stem}: run() must return dicts with {KEYS}"}
    rows = [{k: r[k] for k in KEYS} for r in rows]
    rows.append(_row(stem, "wall time (whole module)", payload["wall_s"], "s"))
    rows.append(_row(stem, "peak RSS (module process)", payload["peak_rss_kb"] / 1024, "MiB"))
    for r in rows:
        r["module"] = stem
    return {"rows": rows, "ok": True, "error": ""}


def _row(stem: str, metric: str, value: float, unit: str) -> dict[str, Any]:
    return {
        "benchmark": stem,
        "metric": metric,
        "value": value,
        "unit": unit,
        "target": "",
        "passed": None,
    }


def _fmt_value(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if value != value:  # NaN
            return "nan"
        mag = abs(value)
        if mag >= 1000:
            return f"{value:,.0f}"
        if mag >= 10:
            return f"{value:.1f}"
        return f"{value:.3g}"
    return str(value)


def _fmt_passed(passed: Any) -> str:
    if passed is None:
        return "-"
    return "yes" if passed else "**NO**"


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


_ROW_RE = re.compile(r"^\|(?P<cells>.*)\|\s*$")


def read_results(path: Path = RESULTS) -> tuple[list[list[str]], dict[str, list[str]]]:
    """Parse an existing RESULTS.md into result rows and per-module run rows (as cell text).

    Examples
    --------
    >>> rows, runs = read_results(Path("/nonexistent"))
    >>> rows, runs
    ([], {})
    """
    rows: list[list[str]] = []
    runs: dict[str, list[str]] = {}
    if not path.exists():
        return rows, runs
    section = ""
    for line in path.read_text().splitlines():
        if line.startswith("## "):
            section = line[3:].strip().lower()
            continue
        m = _ROW_RE.match(line)
        if not m:
            continue
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", m.group("cells"))]
        if not cells or cells[0] in ("benchmark", "module") or set(cells[0]) <= set("-: "):
            continue
        if section.startswith("results") and len(cells) == 8:
            rows.append(cells)
        elif section.startswith("runs") and len(cells) >= 2:
            runs[cells[0]] = cells
    return rows, runs


def write_results(
    new_rows: list[dict[str, Any]],
    *,
    ran: list[str],
    failed: dict[str, str],
    path: Path = RESULTS,
) -> None:
    """Merge ``new_rows`` into RESULTS.md, replacing rows of the modules in ``ran``.

    Examples
    --------
    >>> callable(write_results)
    True
    """
    old_rows, runs = read_results(path)
    today = _dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    info = machine()
    mach = f"{info['cpu']}, {info['cores']} cores, {info['ram']} RAM, Python {info['python']}"
    kept = [r for r in old_rows if r[0] not in ran]
    fresh = [
        [
            r["module"],
            _cell(r["benchmark"]),
            _cell(r["metric"]),
            _cell(_fmt_value(r["value"])),
            _cell(r["unit"]),
            _cell(r["target"]),
            _fmt_passed(r["passed"]),
            today,
        ]
        for r in new_rows
    ]
    for stem in ran:
        status = f"crashed: {failed[stem]}" if stem in failed else "ok"
        runs[stem] = [stem, today, status, _cell(mach)]
    all_rows = sorted(kept + fresh, key=lambda r: r[0])  # stable: keeps metric order per module
    lines = [
        "# Benchmark results",
        "",
        "Written by `python -m benchmarks.run` (`make bench`). Each module runs in its own",
        "process; comparisons are ratios measured within one run. Missed targets show as **NO**.",
        "",
        "## Machine (last run)",
        "",
        f"- Date: {today}",
        f"- CPU: {info['cpu']} ({info['cores']} cores)",
        f"- RAM: {info['ram']}",
        f"- Python: {info['python']} on {info['os']}",
        f"- Packages: {info['packages']}",
        "",
        "## Results",
        "",
        "| module | benchmark | metric | value | unit | target | passed | run |",
        "| --- | --- | --- | ---: | --- | --- | --- | --- |",
    ]
    lines += ["| " + " | ".join(r) + " |" for r in all_rows]
    lines += [
        "",
        "## Runs",
        "",
        "| module | run | status | machine |",
        "| --- | --- | --- | --- |",
    ]
    lines += ["| " + " | ".join(runs[k]) + " |" for k in sorted(runs)]
    tmp = path.with_suffix(".md.tmp")
    tmp.write_text("\n".join(lines) + "\n")
    tmp.replace(path)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: run benchmarks, write RESULTS.md, return the exit status.

    Examples
    --------
    >>> main(["no_such_benchmark"])
    2
    """
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        stems = discover(args)
    except FileNotFoundError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    if not stems:
        print("no benchmarks/bench_*.py found", file=sys.stderr)
        return 2
    rows: list[dict[str, Any]] = []
    failed: dict[str, str] = {}
    for stem in stems:
        t0 = time.perf_counter()
        print(f"[bench] {stem} ...", file=sys.stderr, flush=True)
        res = run_module(stem)
        dt = time.perf_counter() - t0
        if res["ok"]:
            rows += res["rows"]
            for r in res["rows"]:
                print(
                    f"  {r['metric']}: {_fmt_value(r['value'])} {r['unit']}"
                    f"  target {r['target'] or '-'}  passed {_fmt_passed(r['passed'])}",
                    file=sys.stderr,
                )
        else:
            failed[stem] = res["error"]
            print(f"  FAILED: {res['error']}", file=sys.stderr)
        print(f"[bench] {stem} done in {dt:.1f} s", file=sys.stderr, flush=True)
    write_results(rows, ran=stems, failed=failed)
    print(f"wrote {RESULTS.relative_to(ROOT)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
