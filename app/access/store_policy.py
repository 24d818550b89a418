"""The disclosure policy of a role *for a store*: the role's rules with the store's cell key secret.

:func:`app.access.policy.export_rules` decides whether a role gets disclosure control and with which
settings; this module adds the one thing that depends on the data: the secret of the record keys
(:mod:`analysis.disclosure.cell_key`). Each store has its own random secret in its metadata
(:func:`geo.store.meta.cell_key_secret`), so knowing record ids and this open-source code is not
enough to undo the noise. Every page and command that shows perturbed counts builds its policy
here. Pure Python (no streamlit).
"""

from __future__ import annotations

import dataclasses
import os
import secrets
from pathlib import Path
from typing import Final

from analysis.disclosure.cell_key import DEFAULT_SECRET
from analysis.disclosure.control import DisclosurePolicy
from app.access.policy import export_rules
from geo.store.gpkg import Store
from geo.store.meta import cell_key_secret

__all__ = ["disclosure_for_store"]

#: Secret for sessions without a store (only uploaded records): random per process, never stored.
_PROCESS_SECRET: Final[str] = secrets.token_hex(32)


def disclosure_for_store(
    role: str,
    *,
    store: str | os.PathLike[str] | None,
    disclosure: DisclosurePolicy | None = None,
) -> DisclosurePolicy | None:
    """The disclosure policy of ``role`` for records of ``store`` (None: no disclosure control).

    Parameters
    ----------
    role : str
        The user's role (:data:`app.access.policy.ROLES`).
    store : path or None
        The store the records come from. Its cell key secret is used (generated on first use
        for a store that has none, see :func:`geo.store.meta.cell_key_secret`). ``None`` or a
        missing file (records uploaded in the session only): a random secret of this process.
    disclosure : DisclosurePolicy, optional
        Configured settings (``disclosure:`` of ``csmap.yaml``). A ``cell_key_secret`` set there
        (anything but the public default) overrides the store's.

    Returns
    -------
    DisclosurePolicy or None
        None for roles without disclosure control (analyst, admin).

    Examples
    --------
    >>> import sqlite3, tempfile
    >>> from geo.store.meta import read_meta
    >>> p = Path(tempfile.mkdtemp()) / "s.gpkg"
    >>> sqlite3.connect(p).close()
    >>> policy = disclosure_for_store("board", store=p)
    >>> policy.cell_key_secret == read_meta(p)["cell_key_secret"]
    True
    >>> disclosure_for_store("analyst", store=p) is None
    True
    """
    policy = export_rules(role, disclosure=disclosure).disclosure
    if policy is None:
        return None
    if disclosure is not None and disclosure.cell_key_secret != DEFAULT_SECRET:
        return policy  # configured explicitly
    path = Path(store) if store is not None else None
    if path is None or not path.is_file():
        return dataclasses.replace(policy, cell_key_secret=_PROCESS_SECRET)
    secret = cell_key_secret(path, lock=Store(path).lock)
    return dataclasses.replace(policy, cell_key_secret=secret)
