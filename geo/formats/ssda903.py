"""Imports in the national formats: SSDA903 (Children Looked After return) and the Data to Insight
Standard Safeguarding Dataset (SSD), into the csmap schema of :mod:`geo.ingest.schema`.

There is no second validator here. Each national table is *renamed* into the canonical columns of
its kind (one output row per input row, in the same order, so quarantine row numbers are the input
file's row numbers), written as a CSV, and passed through :func:`geo.ingest.pipeline.ingest_file`
(or
:func:`geo.ingest.pipeline.validate_file` without a store). Dates, codes (``PLACE`` K2/H5/U1-U6,
``PLACE_PROVIDER`` PR0-PR5, ``MISSING`` M/A), postcodes (resolved through the configured lookup;
without one the row is quarantined with the reason ``postcode given but no postcode lookup is
configured``) and duplicates are handled exactly as for any other file.

SSDA903 Episodes (``CHILD, DECOM, RNE, LS, CIN, PLACE, PLACE_PROVIDER, DEC, REC,
REASON_PLACE_CHANGE, HOME_POST, PL_POST, URN, PL_LA, PL_LOCATION``) -> ``placements``:

=================  =========================================================================
canonical          from
=================  =========================================================================
placement_id       ``CHILD/DECOM`` (an episode is identified by child and start date)
child_ref          ``CHILD``
placing_authority  the ``placing_authority`` argument (the LA making the return; not a column)
start_date         ``DECOM``; ``end_date``: ``DEC``
placement_type     ``PLACE``; ``provider_type``: ``PLACE_PROVIDER``; ``ofsted_urn``: ``URN``
postcode           ``PL_POST`` (the placement's location)
=================  =========================================================================

Every other column (``HOME_POST``, ``RNE``, ``LS``, ``CIN``, ``REC``, ``REASON_PLACE_CHANGE``,
``PL_LA``, ``PL_LOCATION``) is kept under its SSDA903 name in the stored ``extra`` JSON (so
:func:`analysis.views.placements.home_distance` can use ``HOME_POST``).

SSDA903 Missing (``CHILD, MISSING, MIS_START, MIS_END``) -> ``missing_episodes``: ``episode_id`` =
``CHILD/MIS_START/n`` (``n`` counts the *distinct* episodes of the child starting that day, by
``MIS_END`` and ``MISSING``: identical rows are one episode entered twice and are counted as
duplicates), ``episode_type`` from ``MISSING`` (M/A),
``looked_after`` = true (the return covers looked-after children only). The return has no
locations, so these episodes are stored with precision ``none``.

SSD (field names from data-to-insight/ssd-data-model ``data/objects``): ``ssd_cla_placement``
(``clap_cla_placement_id``, ``clap_cla_episode_id``, ``clap_cla_placement_start_date``,
``clap_cla_placement_type``, ``clap_cla_placement_urn``, ``clap_cla_placement_la``,
``clap_cla_placement_provider``, ``clap_cla_placement_postcode``, ``clap_cla_placement_end_date``,
``clap_cla_placement_change_reason``, ``clap_cla_placement_distance``) with the child from
``ssd_cla_episodes`` (``clae_cla_episode_id`` -> ``clae_person_id``), and ``ssd_missing``
(``miss_table_id``, ``miss_la_person_id``, ``miss_mis_epi_start``, ``miss_mis_epi_type``,
``miss_mis_epi_end``, ``miss_mis_epi_rhi_offered``, ``miss_mis_epi_rhi_accepted``).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Final, Literal

import pandas as pd

from geo.errors import UnreadableFileError
from geo.ingest.pipeline import IngestReport, ingest_file, validate_file
from geo.ingest.read.readers import read_table
from geo.locate.geocode import Lookups
from geo.places.boundaries import StudyArea
from geo.store.gpkg import Store
from geo.vocab import Kind

__all__ = [
    "FORMATS",
    "SSDA903_EPISODE_COLUMNS",
    "SSDA903_MISSING_COLUMNS",
    "SSD_MISSING_COLUMNS",
    "SSD_PLACEMENT_COLUMNS",
    "import_table",
    "ssd_missing",
    "ssd_placements",
    "ssda903_episodes",
    "ssda903_missing",
]

SSDA903_EPISODE_COLUMNS: Final[tuple[str, ...]] = (
    "CHILD",
    "DECOM",
    "RNE",
    "LS",
    "CIN",
    "PLACE",
    "PLACE_PROVIDER",
    "DEC",
    "REC",
    "REASON_PLACE_CHANGE",
    "HOME_POST",
    "PL_POST",
    "URN",
    "PL_LA",
    "PL_LOCATION",
)
SSDA903_MISSING_COLUMNS: Final[tuple[str, ...]] = ("CHILD", "MISSING", "MIS_START", "MIS_END")
SSD_PLACEMENT_COLUMNS: Final[tuple[str, ...]] = (
    "clap_cla_placement_id",
    "clap_cla_episode_id",
    "clap_cla_placement_start_date",
    "clap_cla_placement_type",
    "clap_cla_placement_urn",
    "clap_cla_placement_la",
    "clap_cla_placement_provider",
    "clap_cla_placement_postcode",
    "clap_cla_placement_end_date",
    "clap_cla_placement_change_reason",
    "clap_cla_placement_distance",
)
SSD_MISSING_COLUMNS: Final[tuple[str, ...]] = (
    "miss_table_id",
    "miss_la_person_id",
    "miss_mis_epi_start",
    "miss_mis_epi_type",
    "miss_mis_epi_end",
    "miss_mis_epi_rhi_offered",
    "miss_mis_epi_rhi_accepted",
)

Format = Literal["ssda903-episodes", "ssda903-missing", "ssd-placements", "ssd-missing"]
#: Import formats and the record kind each becomes.
FORMATS: Final[dict[str, Kind]] = {
    "ssda903-episodes": "placements",
    "ssda903-missing": "missing_episodes",
    "ssd-placements": "placements",
    "ssd-missing": "missing_episodes",
}


_KNOWN: Final[tuple[str, ...]] = (
    *SSDA903_EPISODE_COLUMNS,
    *SSDA903_MISSING_COLUMNS,
    *SSD_PLACEMENT_COLUMNS,
    *SSD_MISSING_COLUMNS,
    "clae_cla_episode_id",
    "clae_person_id",
)


def _read(path: str | os.PathLike[str], required: tuple[str, ...], what: str) -> pd.DataFrame:
    """Read a table; known column names are matched case-insensitively (published spelling)."""
    frame = read_table(Path(path)).frame
    spelling = {name.upper(): name for name in _KNOWN}
    renamed = {
        c: spelling[str(c).strip().upper()]
        for c in frame.columns
        if str(c).strip().upper() in spelling
    }
    frame = frame.rename(columns=renamed)
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise UnreadableFileError(
            f"{path}: not an {what} table: missing column(s) {', '.join(missing)} "
            f"(found {', '.join(map(repr, list(frame.columns)[:12]))})"
        )
    return frame


def _text(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series("", index=frame.index, dtype=object)
    return frame[column].fillna("").astype(str).str.strip()


def _with_extra(canon: pd.DataFrame, frame: pd.DataFrame, used: set[str]) -> pd.DataFrame:
    for column in frame.columns:
        if column not in used:
            canon[column] = frame[column].to_numpy()
    return canon


def ssda903_episodes(
    path: str | os.PathLike[str], *, placing_authority: str | None = None
) -> pd.DataFrame:
    """Read an SSDA903 Episodes table into canonical ``placements`` columns (rows kept 1:1).

    Parameters
    ----------
    path : str or path-like
        CSV or ``.xlsx`` with the SSDA903 Episodes columns (case-insensitive).
    placing_authority : str, optional
        The LA making the return (name or ONS code); the table itself does not say.

    Returns
    -------
    pandas.DataFrame
        Text columns ``placement_id, child_ref, placing_authority, start_date, end_date,
        placement_type, provider_type, ofsted_urn, postcode`` plus the other SSDA903 columns
        under their own names (kept in ``extra`` on ingest).

    Raises
    ------
    UnreadableFileError
        Not readable, or required SSDA903 columns are missing.

    Examples
    --------
    >>> f = ssda903_episodes("tests/fixtures/ssda903/episodes.csv", placing_authority="Leeds")
    >>> f.loc[0, ["placement_id", "placement_type", "postcode"]].tolist()
    ['SSDA0001/01/04/2023', 'K2', 'ZZ9 1AA']
    """
    required = ("CHILD", "DECOM", "PLACE", "PLACE_PROVIDER", "PL_POST")
    frame = _read(path, required, "SSDA903 Episodes")
    child = _text(frame, "CHILD")
    decom = _text(frame, "DECOM")
    canon = pd.DataFrame(
        {
            "placement_id": (child + "/" + decom).where((child != "") & (decom != ""), ""),
            "child_ref": child,
            "placing_authority": placing_authority or "",
            "start_date": decom,
            "end_date": _text(frame, "DEC"),
            "placement_type": _text(frame, "PLACE"),
            "provider_type": _text(frame, "PLACE_PROVIDER"),
            "ofsted_urn": _text(frame, "URN"),
            "postcode": _text(frame, "PL_POST"),
        },
        index=frame.index,
    )
    used = {"CHILD", "DECOM", "DEC", "PLACE", "PLACE_PROVIDER", "URN", "PL_POST"}
    return _with_extra(canon, frame, used)


def _numbered(keys: pd.Series, content: pd.Series) -> pd.Series:
    """``key/n``: n numbers the *distinct* contents sharing a key (identical rows share n)."""
    frame = pd.DataFrame({"key": keys, "content": content})
    first = ~frame.duplicated(["key", "content"])
    n = frame[first].groupby("key").cumcount() + 1
    numbers = frame.join(n.rename("n"))["n"]
    numbers = numbers.groupby([frame["key"], frame["content"]]).transform("first")
    return keys + "/" + numbers.astype(int).astype(str)


def ssda903_missing(
    path: str | os.PathLike[str], *, placing_authority: str | None = None
) -> pd.DataFrame:
    """Read an SSDA903 Missing table into canonical ``missing_episodes`` columns.

    Examples
    --------
    >>> f = ssda903_missing("tests/fixtures/ssda903/missing.csv")
    >>> f.loc[0, ["episode_id", "episode_type", "looked_after"]].tolist()
    ['SSDA0001/03/05/2023/1', 'M', 'true']
    """
    frame = _read(path, SSDA903_MISSING_COLUMNS[:3], "SSDA903 Missing")
    child = _text(frame, "CHILD")
    start = _text(frame, "MIS_START")
    # Identical (CHILD, MIS_START, MIS_END, MISSING) rows get the same id, so ingest counts the
    # repeats as duplicates; distinct same-day episodes are numbered /1, /2, ...
    content = _text(frame, "MIS_END") + "\x1f" + _text(frame, "MISSING")
    ids = _numbered(child + "/" + start, content).where((child != "") & (start != ""), "")
    canon = pd.DataFrame(
        {
            "episode_id": ids,
            "child_ref": child,
            "start": start,
            "end": _text(frame, "MIS_END"),
            "episode_type": _text(frame, "MISSING"),
            "looked_after": "true",
            "placing_authority": placing_authority or "",
        },
        index=frame.index,
    )
    return _with_extra(canon, frame, {"CHILD", "MIS_START", "MIS_END", "MISSING"})


def ssd_placements(
    path: str | os.PathLike[str],
    *,
    episodes: str | os.PathLike[str] | None = None,
    placing_authority: str | None = None,
) -> pd.DataFrame:
    """Read an SSD ``ssd_cla_placement`` table (child from ``ssd_cla_episodes`` if given).

    Examples
    --------
    >>> f = ssd_placements("tests/fixtures/ssda903/ssd_cla_placement.csv",
    ...                    episodes="tests/fixtures/ssda903/ssd_cla_episodes.csv")
    >>> f.loc[0, ["placement_id", "child_ref", "placement_type"]].tolist()
    ['PL1', 'P100', 'K2']
    """
    required = ("clap_cla_placement_id", "clap_cla_placement_start_date")
    frame = _read(path, required, "SSD ssd_cla_placement")
    child = pd.Series("", index=frame.index, dtype=object)
    if episodes is not None:
        eps = _read(episodes, ("clae_cla_episode_id", "clae_person_id"), "SSD ssd_cla_episodes")
        person = dict(
            zip(_text(eps, "clae_cla_episode_id"), _text(eps, "clae_person_id"), strict=False)
        )
        child = _text(frame, "clap_cla_episode_id").map(person).fillna("")
    canon = pd.DataFrame(
        {
            "placement_id": _text(frame, "clap_cla_placement_id"),
            "child_ref": child,
            "placing_authority": placing_authority or "",
            "start_date": _text(frame, "clap_cla_placement_start_date"),
            "end_date": _text(frame, "clap_cla_placement_end_date"),
            "placement_type": _text(frame, "clap_cla_placement_type"),
            "provider_type": _text(frame, "clap_cla_placement_provider"),
            "ofsted_urn": _text(frame, "clap_cla_placement_urn"),
            "postcode": _text(frame, "clap_cla_placement_postcode"),
        },
        index=frame.index,
    )
    used = {
        "clap_cla_placement_id",
        "clap_cla_placement_start_date",
        "clap_cla_placement_end_date",
        "clap_cla_placement_type",
        "clap_cla_placement_provider",
        "clap_cla_placement_urn",
        "clap_cla_placement_postcode",
    }
    return _with_extra(canon, frame, used)


def ssd_missing(
    path: str | os.PathLike[str], *, placing_authority: str | None = None
) -> pd.DataFrame:
    """Read an SSD ``ssd_missing`` table into canonical ``missing_episodes`` columns.

    Examples
    --------
    >>> f = ssd_missing("tests/fixtures/ssda903/ssd_missing.csv")
    >>> f.loc[0, ["episode_id", "rhi_offered", "rhi_accepted"]].tolist()
    ['MS1', 'Yes', 'Yes']
    """
    frame = _read(path, ("miss_table_id", "miss_mis_epi_start"), "SSD ssd_missing")
    canon = pd.DataFrame(
        {
            "episode_id": _text(frame, "miss_table_id"),
            "child_ref": _text(frame, "miss_la_person_id"),
            "start": _text(frame, "miss_mis_epi_start"),
            "end": _text(frame, "miss_mis_epi_end"),
            "episode_type": _text(frame, "miss_mis_epi_type"),
            "looked_after": "true",
            "placing_authority": placing_authority or "",
            "rhi_offered": _text(frame, "miss_mis_epi_rhi_offered"),
            "rhi_accepted": _text(frame, "miss_mis_epi_rhi_accepted"),
        },
        index=frame.index,
    )
    return _with_extra(canon, frame, set(SSD_MISSING_COLUMNS))


def _canonical(
    fmt: str,
    path: str | os.PathLike[str],
    *,
    placing_authority: str | None,
    episodes: str | os.PathLike[str] | None,
) -> pd.DataFrame:
    if fmt == "ssda903-episodes":
        return ssda903_episodes(path, placing_authority=placing_authority)
    if fmt == "ssda903-missing":
        return ssda903_missing(path, placing_authority=placing_authority)
    if fmt == "ssd-placements":
        return ssd_placements(path, episodes=episodes, placing_authority=placing_authority)
    if fmt == "ssd-missing":
        return ssd_missing(path, placing_authority=placing_authority)
    raise UnreadableFileError(f"{path}: unknown import format {fmt!r} ({', '.join(FORMATS)})")


def import_table(
    fmt: str,
    path: str | os.PathLike[str],
    *,
    store: Store | str | os.PathLike[str] | None = None,
    placing_authority: str | None = None,
    episodes: str | os.PathLike[str] | None = None,
    lookups: Lookups | None = None,
    area: str | StudyArea | None = None,
) -> IngestReport:
    """Import one national-format table through the ordinary ingest (or validate it).

    The canonical table is written to a temporary CSV named after the input
    (``<stem>.csv``, so stored ``source_file`` names the input), then ingested; with
    ``store=None`` it is only validated. Quarantine ``source_row`` numbers are the input's.

    Parameters
    ----------
    fmt : {"ssda903-episodes", "ssda903-missing", "ssd-placements", "ssd-missing"}
    path : str or path-like
        The national table (CSV or ``.xlsx``).
    store : Store or path, optional
        Where to add the records; ``None`` validates only.
    placing_authority : str, optional
        The LA making the return (name or ONS code).
    episodes : path, optional
        ``ssd_cla_episodes`` table, to give SSD placements their child.
    lookups : Lookups, optional
        Postcode lookup for the placement postcodes (default: the configured ones).
    area : str or StudyArea, optional
        Study area.

    Returns
    -------
    IngestReport

    Examples
    --------
    >>> from geo.locate.geocode import Lookups, PostcodeLookup
    >>> lk = Lookups(postcode=PostcodeLookup.from_csv("tests/fixtures/ssda903/postcodes.csv"))
    >>> r = import_table("ssda903-episodes", "tests/fixtures/ssda903/episodes.csv",
    ...                  placing_authority="Leeds", lookups=lk)
    >>> r.rows_read == r.rows_loaded + r.rows_quarantined + r.rows_duplicate
    True
    """
    kind = FORMATS.get(fmt)
    if kind is None:
        raise UnreadableFileError(f"{path}: unknown import format {fmt!r} ({', '.join(FORMATS)})")
    canon = _canonical(fmt, path, placing_authority=placing_authority, episodes=episodes)
    with tempfile.TemporaryDirectory(prefix="csmap-import-") as tmp:
        converted = Path(tmp) / f"{Path(path).stem}.csv"
        canon.to_csv(converted, index=False, encoding="utf-8")
        if store is None:
            report = validate_file(kind, converted, lookups=lookups, area=area)
        else:
            report = ingest_file(kind, converted, store=store, lookups=lookups, area=area)
    report.file = str(path)
    return report
