"""Offline postcode and UPRN lookups: configuration and loading (:func:`load_lookups`).

The file readers (:class:`PostcodeLookup`, :class:`UprnLookup`) and postcode normalisation live in
:mod:`geo.locate.lookup_files` and are re-exported here.

csmap never calls an online geocoder: postcodes and UPRNs are resolved through lookup files the user
configures (ONSPD/NSPL or Code-Point Open for postcodes, OS Open UPRN; formats in
:mod:`geo.locate.lookup_files`).

Configuration: ``load_lookups`` reads ``lookups: {postcode: PATH, uprn: PATH}`` from a YAML file
(``csmap.yaml`` in the working directory by default) and the environment variables
``CSMAP_POSTCODE_LOOKUP`` / ``CSMAP_UPRN_LOOKUP``, which take precedence.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from geo.errors import LookupFileError
from geo.locate.lookup_files import PostcodeLookup as PostcodeLookup
from geo.locate.lookup_files import UprnLookup as UprnLookup
from geo.locate.lookup_files import normalise_postcode as normalise_postcode
from geo.locate.lookup_files import normalise_postcodes as normalise_postcodes
from geo.store.export import PathEscapeError, resolve_inside
from geo.yaml_files import load_yaml

__all__ = [
    "Lookups",
    "PostcodeLookup",
    "UprnLookup",
    "load_lookups",
    "normalise_postcode",
    "normalise_postcodes",
]

ENV_POSTCODE = "CSMAP_POSTCODE_LOOKUP"
ENV_UPRN = "CSMAP_UPRN_LOOKUP"
DEFAULT_CONFIG = "csmap.yaml"


@dataclass(frozen=True)
class Lookups:
    """The configured offline lookups (either may be absent).

    Examples
    --------
    >>> Lookups().postcode is None
    True
    """

    postcode: PostcodeLookup | None = None
    uprn: UprnLookup | None = None


def _config_paths(config_path: str | os.PathLike[str] | None) -> dict[str, Path]:
    paths: dict[str, Path] = {}
    cfg = Path(config_path).expanduser() if config_path is not None else Path(DEFAULT_CONFIG)
    if config_path is not None and not cfg.exists():
        raise LookupFileError(f"configuration file {cfg} does not exist")
    if cfg.exists():
        try:
            data: Any = load_yaml(cfg.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise LookupFileError(f"cannot read configuration file {cfg}: {exc}") from exc
        section = data.get("lookups", {}) if isinstance(data, dict) else None
        if not isinstance(section, dict):
            raise LookupFileError(f"configuration file {cfg}: 'lookups' must be a mapping")
        unknown = sorted(set(section) - {"postcode", "uprn"})
        if unknown:
            raise LookupFileError(
                f"configuration file {cfg}: unknown lookups key(s) {', '.join(map(str, unknown))} "
                "(expected postcode, uprn)"
            )
        for key in ("postcode", "uprn"):
            value = section.get(key)
            if value:
                p = Path(str(value)).expanduser()
                if p.is_absolute():  # an operator's explicit choice in the server's config
                    paths[key] = p
                    continue
                try:  # relative paths may not leave the YAML file's folder (``..``, symlinks)
                    paths[key] = resolve_inside(cfg.parent, p)
                except PathEscapeError as exc:
                    raise LookupFileError(
                        f"configuration file {cfg}: lookups.{key}: {exc}"
                    ) from exc
    for key, env in (("postcode", ENV_POSTCODE), ("uprn", ENV_UPRN)):
        value = os.environ.get(env, "").strip()
        if value:
            paths[key] = Path(value).expanduser()
    return paths


def load_lookups(config_path: str | os.PathLike[str] | None = None) -> Lookups:
    """Load the configured postcode and UPRN lookups (never online).

    Parameters
    ----------
    config_path : str or path-like, optional
        A YAML file with ``lookups: {postcode: PATH, uprn: PATH}`` (relative paths are relative to
        the YAML file and may not leave its folder; absolute paths are taken as given). Default:
        ``csmap.yaml`` in the working directory, if present. The environment variables
        ``CSMAP_POSTCODE_LOOKUP`` and ``CSMAP_UPRN_LOOKUP`` override it.

    Returns
    -------
    Lookups
        With ``None`` for a lookup that is not configured.

    Raises
    ------
    LookupFileError
        A configured file is missing or has the wrong columns.

    Examples
    --------
    >>> import os
    >>> os.environ["CSMAP_POSTCODE_LOOKUP"] = "tests/fixtures/lookups/nspl_sample.csv"
    >>> load_lookups().postcode is not None
    True
    >>> del os.environ["CSMAP_POSTCODE_LOOKUP"]
    """
    paths = _config_paths(config_path)
    postcode = PostcodeLookup.from_csv(paths["postcode"]) if "postcode" in paths else None
    uprn = UprnLookup.from_csv(paths["uprn"]) if "uprn" in paths else None
    return Lookups(postcode=postcode, uprn=uprn)
