"""``csmap app``: start the Streamlit app on loopback, with usage statistics off.

Runs ``python -m streamlit run app/streamlit_app.py`` with every safety-relevant setting given
as an explicit flag (so it does not depend on the working directory's ``.streamlit/config.toml``),
and passes the configuration to the app through ``CSMAP_STORE``, ``CSMAP_AREA``, ``CSMAP_DEMO``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from app.maps.vendor import missing_assets
from geo.demo.check import NotDemoStoreError, check_demo_store

APP_SCRIPT = Path(__file__).resolve().parents[2] / "streamlit_app.py"


def _default_store() -> Path:
    try:
        from geo.store.gpkg import default_store_path
    except ImportError:  # pragma: no cover - geo.store.gpkg ships with the project
        env = os.environ.get("CSMAP_STORE")
        return Path(env) if env else Path.home() / ".local/share/csmap/store.gpkg"
    return Path(default_store_path())


def streamlit_command(*, host: str, port: int) -> list[str]:
    """The argv that starts the app (without the environment).

    Examples
    --------
    >>> cmd = streamlit_command(host="127.0.0.1", port=8501)
    >>> cmd[1:4], "--browser.gatherUsageStats" in cmd
    (['-m', 'streamlit', 'run'], True)
    """
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP_SCRIPT),
        "--browser.gatherUsageStats",
        "false",
        "--browser.serverAddress",
        host,
        "--server.address",
        host,
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--server.enableStaticServing",
        "true",
        "--server.fileWatcherType",
        "none",
        "--server.runOnSave",
        "false",
        "--global.developmentMode",
        "false",
        "--client.toolbarMode",
        "minimal",
        "--client.showErrorDetails",
        "false",
        # no CSV download or clipboard copy from st.dataframe's own toolbar: every table that
        # leaves goes through auth.export_download (policy, reason, audit entry)
        "--client.disableDataExport",
        "true",
    ]


def run(args: argparse.Namespace) -> int:
    """Validate the options, then replace this process with the Streamlit server."""
    store = Path(args.store).expanduser().resolve() if args.store else _default_store()
    if args.demo:
        try:
            check_demo_store(store)  # the records themselves, not only the marker (#12 item 15)
        except NotDemoStoreError as exc:
            why = str(exc).splitlines()[0].removeprefix(f"{store}: ")
            print(
                f"csmap app: {store}: --demo refused: {why} (only the store built by "
                "`make run`/`make demo` may be opened as synthetic)",
                file=sys.stderr,
            )
            return 2
    if not 0 < args.port < 65536:
        print(f"csmap app: --port {args.port}: must be between 1 and 65535", file=sys.stderr)
        return 2
    missing = missing_assets()
    if missing:
        print(
            f"csmap app: map assets missing ({missing[0]}, ...): run `make vendor` once",
            file=sys.stderr,
        )
        return 2
    env = dict(os.environ)
    env.update(
        {
            "CSMAP_STORE": str(store),
            "CSMAP_AREA": args.area,
            "CSMAP_DEMO": "1" if args.demo else "0",
            "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
        }
    )
    cmd = streamlit_command(host=args.host, port=args.port)
    print(f"csmap app: http://{args.host}:{args.port}  (store {store})", file=sys.stderr)
    sys.stderr.flush()
    os.execve(cmd[0], cmd, env)  # noqa: S606 - fixed argv, no shell
    return 0  # pragma: no cover


def register(subparsers: Any) -> None:
    """Add ``csmap app`` to the CLI."""
    parser = subparsers.add_parser(
        "app",
        help="start the map app on 127.0.0.1",
        description="Start the csmap Streamlit app (offline; bound to loopback by default).",
    )
    parser.add_argument("--store", help="store path (default: $CSMAP_STORE or the user store)")
    parser.add_argument("--port", type=int, default=8501, help="port (default 8501)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument(
        "--area", default=os.environ.get("CSMAP_AREA", "kirklees"), help="study area name"
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="label the data as synthetic (only for the demo store, which carries a marker)",
    )
    parser.set_defaults(func=run)
