"""Read csmap's small YAML files (``--mapping``, ``csmap.yaml``) safely and boundedly.

``yaml.safe_load`` builds no objects, but it does follow aliases: a 623-byte file of nested
anchors and aliases (a "billion laughs" alias bomb) expands to billions of values as soon as it
is walked or printed, which took minutes and gigabytes. csmap's files have no need for anchors,
so :func:`load_yaml` refuses any alias while composing (before anything is expanded), and
refuses a file over :data:`MAX_YAML_BYTES`. Both refusals are :class:`yaml.YAMLError`, so each
caller's existing handling turns them into its one-line error naming the file.
"""

from __future__ import annotations

from typing import Any, Final

import yaml
from yaml.composer import ComposerError

#: The largest YAML file read (a mapping of a few hundred values is a few kilobytes).
MAX_YAML_BYTES: Final[int] = 1_000_000


class _NoAliasLoader(yaml.SafeLoader):
    """``SafeLoader`` that refuses aliases (``*name``) as it meets them."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise ComposerError(
                None,
                None,
                f"aliases (*{event.anchor}) are not allowed in csmap's YAML files",
                event.start_mark,
            )
        return super().compose_node(parent, index)


def load_yaml(text: str) -> Any:
    """Parse YAML text like ``yaml.safe_load``, refusing aliases and oversized input.

    Parameters
    ----------
    text : str
        The file's text.

    Returns
    -------
    Any
        The parsed document (``None`` when empty).

    Raises
    ------
    yaml.YAMLError
        Not YAML, an alias, or more than :data:`MAX_YAML_BYTES` characters.

    Examples
    --------
    >>> load_yaml("columns: {Incident No: record_id}")
    {'columns': {'Incident No': 'record_id'}}
    >>> load_yaml("a: &x [1]\\nb: *x")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    yaml.composer.ComposerError: aliases (*x) are not allowed in csmap's YAML files...
    """
    if len(text) > MAX_YAML_BYTES:
        raise yaml.YAMLError(
            f"{len(text):,} characters; csmap's YAML files are at most {MAX_YAML_BYTES:,}"
        )
    return yaml.load(text, Loader=_NoAliasLoader)  # noqa: S506 (a SafeLoader subclass)
