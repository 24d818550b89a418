"""Opt-in time spans of the app's script runs, logged to stderr (``CSMAP_TIMINGS=1``).

Used to find where a rerun's time goes (the Map page at a million records): wrap a step in
:func:`span` and start the app with ``CSMAP_TIMINGS=1``; each span prints one line
``csmap-timing <name> <milliseconds> ms`` to stderr (the server log). With the variable unset a
span costs one environment look-up. No Streamlit import: usable from any ``app`` module.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

#: Environment variable that turns the spans on.
ENV_VAR = "CSMAP_TIMINGS"


def enabled() -> bool:
    """True when :data:`ENV_VAR` is set to a true value.

    Examples
    --------
    >>> import os
    >>> os.environ.pop(ENV_VAR, None) and None
    >>> enabled()
    False
    """
    return os.environ.get(ENV_VAR, "").strip().lower() in {"1", "true", "yes", "on"}


@contextmanager
def span(name: str) -> Iterator[None]:
    """Time the block; print ``csmap-timing <name> <ms> ms`` to stderr when :func:`enabled`.

    Examples
    --------
    >>> with span("nothing"):
    ...     pass
    """
    if not enabled():
        yield
        return
    start = time.perf_counter()
    try:
        yield
    finally:
        elapsed = (time.perf_counter() - start) * 1000
        print(f"csmap-timing {name} {elapsed:.1f} ms", file=sys.stderr, flush=True)
