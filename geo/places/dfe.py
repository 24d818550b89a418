"""The bundled DfE and Ofsted children's social care tables, read into tidy frames.

All-England tables without geometry (see ``data/README.md`` and ``SOURCES.md`` §5), joined to local
authorities on the ONS code (``new_la_code``). In the DfE files ``time_period`` is the year ending
31 March (2024 means 2023-24); ``c``/``x``/``z`` (suppressed, not available, not applicable) are
read as missing values, never as zero.

What is here, and what is not:

- :func:`la_regions`: every English LA with its ONS code and region (from the DfE tables).
- :func:`netgain`: an LA's children placed in by other LAs, placed out, and the net gain, by year.
- :func:`national_distance_share`: the national share of looked-after children placed more than
  20 miles from home (31 March, by year), as published and among those with a known distance.
- :func:`homes_per_10k`: Ofsted children's homes (31 March 2023) per 10,000 children under 18 by
  LA (DfE population estimate for the 2023 reporting year), with each LA's rank.
- **No coordinates for other LAs.** The bundled tables carry names, codes and regions only, so the
  distance from a placement to the placing authority's *area* cannot be computed from them.
  :mod:`analysis.views.placements` says so and measures distance only from a home postcode resolved
  through the configured lookup (SSDA903 ``HOME_POST``).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from geo.errors import ParameterError
from geo.ingest.values import parse_authority

__all__ = [
    "homes_per_10k",
    "la_regions",
    "national_distance_share",
    "netgain",
]

NETGAIN_FILE: Final[str] = "dfe_cla_31march_placed_in_out_of_la_netgain_la_2020_2024.csv"
DISTANCE_FILE: Final[str] = "dfe_cla_31march_placement_distance_locality_national_2020_2024.csv"
RATE_FILE: Final[str] = "dfe_cla_number_and_rate_per_10k_la_2020_2024.csv"
HOMES_FILE: Final[str] = "ofsted_childrens_homes_by_la_type_sector_31march2023.csv"
_NA: Final[list[str]] = ["c", "x", "z", "", "low", "u"]


def data_dir() -> Path:
    """Folder of the bundled children's social care tables."""
    return Path(__file__).resolve().parents[2] / "data" / "childrens_social_care"


@cache
def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(data_dir() / name, dtype=str, keep_default_na=False)


def _number(series: pd.Series) -> pd.Series:
    text = series.astype(str).str.strip().str.replace(",", "", regex=False)
    return pd.to_numeric(text.where(~text.str.lower().isin(_NA)), errors="coerce")


def la_regions() -> pd.DataFrame:
    """English local authorities with ONS code, name and region.

    Returns
    -------
    pandas.DataFrame
        Columns ``la_code, la_name, region_code, region_name`` (one row per LA, latest name).

    Examples
    --------
    >>> r = la_regions().set_index("la_code")
    >>> r.loc["E08000034", ["la_name", "region_name"]].tolist()
    ['Kirklees', 'Yorkshire and The Humber']
    """
    frame = _read(NETGAIN_FILE)
    frame = frame[frame["geographic_level"] == "Local authority"]
    frame = frame.sort_values("time_period", ascending=False)
    out = frame.drop_duplicates("new_la_code")[
        ["new_la_code", "la_name", "region_code", "region_name"]
    ].rename(columns={"new_la_code": "la_code"})
    return out[out["la_code"] != ""].sort_values("la_code").reset_index(drop=True)


def netgain(la_code: str) -> pd.DataFrame:
    """Children placed in, placed out and the net gain of one LA at 31 March, by year.

    Parameters
    ----------
    la_code : str
        ONS code of the LA (e.g. ``"E08000034"`` for Kirklees).

    Returns
    -------
    pandas.DataFrame
        Columns ``year`` (year ending 31 March), ``placed_in`` (children of other LAs placed
        inside this LA), ``placed_out`` (this LA's children placed outside it), ``net_gain``.

    Raises
    ------
    ParameterError
        The code is not an LA in the table.

    Examples
    --------
    >>> netgain("E08000034").set_index("year").loc[2024].tolist()
    [268, 259, 9]
    """
    frame = _read(NETGAIN_FILE)
    frame = frame[
        (frame["geographic_level"] == "Local authority") & (frame["new_la_code"] == la_code)
    ]
    if frame.empty:
        raise ParameterError(f"{NETGAIN_FILE}: no local authority with code {la_code!r}")
    kind = np.select(
        [
            frame["characteristic"].str.startswith("1."),
            frame["characteristic"].str.startswith("2."),
            frame["characteristic"].str.lower().str.startswith("net gain"),
        ],
        ["placed_in", "placed_out", "net_gain"],
        default="",
    )
    tidy = pd.DataFrame(
        {
            "year": frame["time_period"].astype(int).to_numpy(),
            "kind": kind,
            "number": _number(frame["number"]).to_numpy(),
        }
    )
    tidy = tidy[tidy["kind"] != ""]
    out = tidy.pivot_table(index="year", columns="kind", values="number", aggfunc="first")
    out = out.reindex(columns=["placed_in", "placed_out", "net_gain"])
    out.columns.name = None
    return out.sort_index().reset_index()


def national_distance_share(*, cla_group: str = "All children") -> pd.DataFrame:
    """England's share of looked-after children placed over 20 miles from home (31 March).

    Parameters
    ----------
    cla_group : str, default "All children"
        A ``cla_group`` of the DfE table (e.g. ``"Secure homes and children's homes"``).

    Returns
    -------
    pandas.DataFrame
        Columns ``year, total, over_20_miles, not_known, share_over_20`` (published percentage of
        all children, incl. distance not known) and ``share_over_20_known`` (among children whose
        distance is known), both as fractions.

    Examples
    --------
    >>> row = national_distance_share().set_index("year").loc[2024]
    >>> int(row["over_20_miles"]), round(float(row["share_over_20_known"]), 3)
    (18040, 0.238)
    """
    frame = _read(DISTANCE_FILE)
    frame = frame[frame["cla_group"] == cla_group]
    if frame.empty:
        raise ParameterError(f"{DISTANCE_FILE}: no cla_group {cla_group!r}")
    rows = []
    for year, group in frame.groupby("time_period"):
        by = dict(zip(group["characteristic"], _number(group["number"]), strict=False))
        total = by.get("Total", np.nan)
        over = by.get("2. Over 20 miles", np.nan)
        unknown = by.get("Distance not known or not recorded", np.nan)
        rows.append(
            {
                "year": int(str(year)),
                "total": total,
                "over_20_miles": over,
                "not_known": unknown,
                "share_over_20": over / total if total else np.nan,
                "share_over_20_known": over / (total - unknown) if total else np.nan,
            }
        )
    return pd.DataFrame(rows).sort_values("year").reset_index(drop=True)


def homes_per_10k(*, year: int = 2023) -> pd.DataFrame:
    """Ofsted children's homes per 10,000 children (under 18) by English LA, with ranks.

    Homes are the Ofsted providers at 31 March 2023 of the three kept provision types (children's
    homes, secure children's homes, residential special schools registered as children's homes);
    the denominator is the DfE under-18 population estimate (``population_estimate`` of the
    children looked after table) for ``year``. LA names are matched to ONS codes through the DfE
    names (:func:`geo.ingest.values.parse_authority`); unmatched Ofsted names are dropped and listed
    in
    ``attrs["unmatched"]``.

    Parameters
    ----------
    year : int, default 2023
        Reporting year of the population estimate (2023 matches the Ofsted snapshot).

    Returns
    -------
    pandas.DataFrame
        Columns ``la_code, la_name, region_name, homes, places, children, homes_per_10k, rank``
        (rank 1 = most homes per child), sorted by rank.

    Examples
    --------
    >>> t = homes_per_10k().set_index("la_code")
    >>> int(t.loc["E08000034", "homes"]), int(t.loc["E08000034", "places"])
    (34, 127)
    """
    homes = _read(HOMES_FILE).copy()
    homes["providers"] = _number(homes["providers"])
    homes["places"] = _number(homes["places"])
    per_la = homes.groupby("Local authority", as_index=False)[["providers", "places"]].sum()
    codes, reasons = parse_authority(per_la["Local authority"], field="Local authority")
    per_la["la_code"] = codes.to_numpy()
    unmatched = per_la.loc[per_la["la_code"].isna(), "Local authority"].tolist()
    per_la = per_la.dropna(subset=["la_code"])
    per_la = per_la.groupby("la_code", as_index=False)[["providers", "places"]].sum()

    rates = _read(RATE_FILE)
    rates = rates[
        (rates["geographic_level"] == "Local authority")
        & (rates["time_period"] == str(year))
        & (rates["population_count"].str.contains("31 March", regex=False))
    ]
    if rates.empty:
        raise ParameterError(f"{RATE_FILE}: no population estimates for {year}")
    pop = pd.DataFrame(
        {
            "la_code": rates["new_la_code"].to_numpy(),
            "children": _number(rates["population_estimate"]).to_numpy(),
        }
    ).drop_duplicates("la_code")
    regions = la_regions()
    out = regions.merge(pop, on="la_code", how="inner").merge(per_la, on="la_code", how="left")
    out["homes"] = out["providers"].fillna(0).astype(int)
    out["places"] = out["places"].fillna(0).astype(int)
    out["homes_per_10k"] = out["homes"] / out["children"] * 10_000
    out["rank"] = out["homes_per_10k"].rank(ascending=False, method="min").astype("Int64")
    out = out[
        [
            "la_code",
            "la_name",
            "region_name",
            "homes",
            "places",
            "children",
            "homes_per_10k",
            "rank",
        ]
    ]
    out = out.sort_values(["rank", "la_code"]).reset_index(drop=True)
    out.attrs["unmatched"] = unmatched
    return out
