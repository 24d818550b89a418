"""Record schemas: canonical columns per kind, column synonyms and the user mapping file.

Each record kind (:data:`geo.vocab.KINDS`) has canonical columns (:data:`COLUMNS`), each with a
*type* that decides how :mod:`geo.ingest.values` parses it (``id``, ``text``, ``date``, ``age``,
``bool``, a controlled vocabulary, ``authority``). Input column names are matched
case-insensitively after normalisation (``"Date Reported"`` -> ``date_reported``) against the
canonical name and its synonyms (:data:`SYNONYMS`); a user mapping YAML file takes precedence::

    columns:            # their column name: canonical column name
      Incident No: record_id
      Where (postcode): postcode
    values:             # per canonical field, their value: our value (or a synonym of it)
      category:
        Ex-CSE: CSE
      risk_level:
        Purple: high

Location columns (``latitude``, ``longitude``, ``easting``, ``northing``, ``grid_ref``,
``postcode``, ``uprn``) are accepted for every kind; missing episodes carry two sets, prefixed
``last_seen_`` and ``found_`` (input prefixes such as ``seen_``, ``ls_``, ``returned_`` and
``recovered_`` are recognised too). Columns that match nothing are kept, as JSON text, in the
stored ``extra`` column, so no input value is lost.

Policy for values (also in the README): an unknown ``category`` is stored as ``"other"`` with the
raw value kept in ``category_raw``; an unknown value of any *other* controlled field
(``location_type``, ``reporting_agency``, ``risk_level``, ``episode_type``, ``placement_type``,
``provider_type``, ``placing_authority``) and every unparseable or out-of-range value (dates, future
dates, ages outside 0-25, booleans) is a quarantine reason naming the field and the value; the user
can fix the row or add a ``values:`` mapping and re-ingest. Empty values are missing (null),
which is only a reason for required fields (:data:`REQUIRED`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import yaml

from geo.errors import SchemaError
from geo.ingest.synonyms import COLUMN_SYNONYMS, LOCATION_SYNONYMS
from geo.vocab import KINDS, MISSING_LOCATION_PREFIXES, Kind
from geo.yaml_files import load_yaml

#: Canonical input columns per kind, with the parser type of each.
COLUMNS: Final[dict[str, dict[str, str]]] = {
    "concerns": {
        "record_id": "id",
        "reported_date": "date",
        "category": "category",
        "location_type": "location_type",
        "reporting_agency": "reporting_agency",
        "risk_level": "risk_level",
        "child_ref": "text",
        "age": "age",
        "place_name": "text",
        "source_reliability": "text",
        "summary": "text",
    },
    "missing_episodes": {
        "episode_id": "id",
        "child_ref": "text",
        "start": "date",
        "end": "date",
        "episode_type": "episode_type",
        "looked_after": "bool",
        "placing_authority": "authority",
        "rhi_offered": "bool",
        "rhi_accepted": "bool",
        "rhi_date": "date",
        "risk_level": "risk_level",
    },
    "placements": {
        "placement_id": "id",
        "child_ref": "text",
        "placing_authority": "authority",
        "start_date": "date",
        "end_date": "date",
        "placement_type": "placement_type",
        "provider_type": "provider_type",
        "ofsted_urn": "text",
    },
}

#: The identity column of each kind.
ID_COLUMN: Final[dict[str, str]] = {
    "concerns": "record_id",
    "missing_episodes": "episode_id",
    "placements": "placement_id",
}

#: Columns a file must have and a row must fill (a location is also required for concerns).
REQUIRED: Final[dict[str, tuple[str, ...]]] = {
    "concerns": ("record_id", "reported_date"),
    "missing_episodes": ("episode_id", "start"),
    "placements": ("placement_id", "start_date"),
}

#: Pairs (earlier, later) of date columns whose order is checked.
DATE_ORDER: Final[dict[str, tuple[tuple[str, str], ...]]] = {
    "concerns": (),
    "missing_episodes": (("start", "end"),),
    "placements": (("start_date", "end_date"),),
}

#: Location input columns (without prefix), as :func:`geo.locate.coords.resolve_locations` reads
#: them.
LOCATION_INPUTS: Final[tuple[str, ...]] = (
    "latitude",
    "longitude",
    "easting",
    "northing",
    "grid_ref",
    "postcode",
    "uprn",
)

#: Location input columns stored as given (the coordinates are stored resolved instead).
LOCATION_TEXT_INPUTS: Final[tuple[str, ...]] = ("grid_ref", "postcode", "uprn")

_LOCATION_SYNONYMS: Final[dict[str, tuple[str, ...]]] = LOCATION_SYNONYMS

#: Column synonyms per kind (canonical name -> accepted normalised names).
SYNONYMS: Final[dict[str, dict[str, tuple[str, ...]]]] = COLUMN_SYNONYMS

#: Input spellings of the two missing-episode location prefixes.
_PREFIX_SYNONYMS: Final[dict[str, tuple[str, ...]]] = {
    "last_seen_": ("last_seen_", "lastseen_", "last_seen_at_", "seen_", "ls_", "missing_from_"),
    "found_": ("found_", "found_at_", "returned_", "return_", "recovered_", "located_"),
}

_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def normalise_name(name: str) -> str:
    """Normalise a column name for matching: lower case, runs of other characters -> ``_``.

    Examples
    --------
    >>> normalise_name("  Date Reported ")
    'date_reported'
    >>> normalise_name("Last-Seen Lat")
    'last_seen_lat'
    """
    return _NON_ALNUM.sub("_", str(name).strip().lower()).strip("_")


def canonical_columns(kind: Kind) -> tuple[str, ...]:
    """All canonical input column names of ``kind`` (including location inputs).

    Examples
    --------
    >>> canonical_columns("missing_episodes")[:3]
    ('episode_id', 'child_ref', 'start')
    >>> "found_postcode" in canonical_columns("missing_episodes")
    True
    """
    _check_kind(kind)
    locations = [p + c for p in _location_prefixes(kind) for c in LOCATION_INPUTS]
    return (*COLUMNS[kind], *locations)


def _location_prefixes(kind: str) -> tuple[str, ...]:
    return MISSING_LOCATION_PREFIXES if kind == "missing_episodes" else ("",)


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise SchemaError(f"unknown record kind {kind!r}; expected one of {', '.join(KINDS)}")


def _synonym_table(kind: str) -> dict[str, str]:
    """Normalised input name -> canonical column, for one kind."""
    table: dict[str, str] = {}
    for canonical, names in SYNONYMS[kind].items():
        table[canonical] = canonical
        for name in names:
            table.setdefault(name, canonical)
    location: dict[str, str] = {}
    for canonical, names in _LOCATION_SYNONYMS.items():
        location[canonical] = canonical
        for name in names:
            location.setdefault(name, canonical)
    if kind == "missing_episodes":
        for prefix, spellings in _PREFIX_SYNONYMS.items():
            for spelling in spellings:
                for name, canonical in location.items():
                    table.setdefault(spelling + name, prefix + canonical)
    else:
        for name, canonical in location.items():
            table.setdefault(name, canonical)
    return table


@dataclass(frozen=True)
class Mapping:
    """A user mapping: input column names and input values onto canonical ones.

    Attributes
    ----------
    columns : dict
        Their column name (matched after :func:`normalise_name`) -> canonical column name.
    values : dict
        Canonical field -> {their value (matched case-insensitively): our value}.

    Examples
    --------
    >>> m = Mapping(columns={"Incident No": "record_id"}, values={"risk_level": {"Purple": "high"}})
    >>> m.column_for("incident no")
    'record_id'
    """

    columns: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)

    def column_for(self, name: str) -> str | None:
        """The canonical column the mapping gives ``name``, or None."""
        wanted = normalise_name(name)
        for theirs, ours in self.columns.items():
            if normalise_name(theirs) == wanted:
                return ours
        return None


def load_mapping(path: str | Path) -> Mapping:
    """Read a mapping YAML file (``columns:`` and ``values:`` sections).

    Parameters
    ----------
    path : str or Path
        The YAML file.

    Returns
    -------
    Mapping

    Raises
    ------
    SchemaError
        If the file is missing, not YAML, or maps onto a name that is not canonical.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "m.yaml"
    >>> _ = p.write_text("columns: {Incident No: record_id}\\nvalues: {category: {Ex: CSE}}\\n")
    >>> load_mapping(p).values["category"]["Ex"]
    'CSE'
    """
    path = Path(path)
    try:
        data = load_yaml(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise SchemaError(f"{path}: cannot read mapping file ({exc.strerror})") from exc
    except yaml.YAMLError as exc:
        raise SchemaError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from exc
    if data is None:
        data = {}
    if not isinstance(data, dict) or set(data) - {"columns", "values"}:
        raise SchemaError(f"{path}: a mapping file has only 'columns:' and 'values:' sections")
    columns = data.get("columns") or {}
    values = data.get("values") or {}
    if not isinstance(columns, dict) or not isinstance(values, dict):
        raise SchemaError(f"{path}: 'columns' and 'values' must be mappings")
    known = {c for kind in KINDS for c in canonical_columns(kind)}
    for theirs, ours in columns.items():
        if str(ours) not in known:
            raise SchemaError(
                f"{path}: columns: {theirs!r} maps to {ours!r}, which is not a canonical column"
            )
    parsed_values: dict[str, dict[str, str]] = {}
    for field_name, table in values.items():
        if str(field_name) not in known or not isinstance(table, dict):
            raise SchemaError(f"{path}: values: {field_name!r} is not a canonical field mapping")
        parsed_values[str(field_name)] = {str(k): str(v) for k, v in table.items()}
    return Mapping(columns={str(k): str(v) for k, v in columns.items()}, values=parsed_values)


def match_columns(
    names: list[str], *, kind: Kind, mapping: Mapping | None = None
) -> tuple[dict[str, str], list[str]]:
    """Match input column names to canonical columns.

    Parameters
    ----------
    names : list of str
        The input header, in file order.
    kind : {"concerns", "missing_episodes", "placements"}
    mapping : Mapping, optional
        User mapping; wins over the built-in synonyms.

    Returns
    -------
    matched : dict
        Input name -> canonical column (first input column wins when two match one name).
    extra : list of str
        Input names that match nothing (kept in the stored ``extra`` column).

    Examples
    --------
    >>> matched, extra = match_columns(["ID", "Date", "Lat", "Lng", "Colour"], kind="concerns")
    >>> matched
    {'ID': 'record_id', 'Date': 'reported_date', 'Lat': 'latitude', 'Lng': 'longitude'}
    >>> extra
    ['Colour']
    """
    _check_kind(kind)
    table = _synonym_table(kind)
    allowed = set(canonical_columns(kind))
    matched: dict[str, str] = {}
    taken: set[str] = set()
    extra: list[str] = []
    # Exact canonical names and mapping entries first, then synonyms, so "id" never steals from
    # an explicit "record_id" column.
    ranked: list[tuple[int, str, str]] = []
    for name in names:
        target = mapping.column_for(name) if mapping else None
        norm = normalise_name(name)
        if target is not None:
            ranked.append((0, name, target))
        elif norm in allowed:
            ranked.append((1, name, norm))
        elif norm in table:
            ranked.append((2, name, table[norm]))
    for _, name, target in sorted(ranked, key=lambda r: r[0]):
        if target in allowed and target not in taken and name not in matched:
            matched[name] = target
            taken.add(target)
    extra = [name for name in names if name not in matched]
    ordered = {name: matched[name] for name in names if name in matched}
    return ordered, extra
