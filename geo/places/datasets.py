"""Bundled open data: where each file lives and the attribution lines it requires.

Every file under ``data/`` is real, published open data (no personal data). The folder is found
through the environment variable ``CSMAP_DATA_DIR`` if set, else ``data/`` beside the ``geo``
package (the repository layout). Provenance, licences and what was changed are in
``data/README.md``; :data:`ATTRIBUTION_LINES` are the lines every map or output built on the
bundled data must show.

Examples
--------
>>> from geo.places.datasets import available, get_path
>>> "wards" in available()
True
>>> get_path("wards").name
'wards_kirklees_solihull.geojson'
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

from geo.errors import ParameterError, UnreadableFileError

#: Lines to show with any map or output that uses the bundled data (copied from SOURCES.md).
ATTRIBUTION_LINES: Final[tuple[str, ...]] = (
    "Source: Office for National Statistics licensed under the Open Government Licence v.3.0",
    "Contains OS data © Crown copyright and database right 2021",
    "Contains public sector information licensed under the Open Government Licence v3.0",
    "© OpenStreetMap contributors, data available under the Open Database Licence (ODbL) v1.0",
    "GeoJSON and TopoJSON UK Boundary Data by Martin Chorley, licensed CC BY 4.0 "
    "(https://github.com/martinjc/UK-GeoJson)",
    "Contains Ordnance Survey data © Crown copyright and database right",
)

#: Short dataset names -> path relative to the data folder.
DATASETS: Final[dict[str, str]] = {
    "lad_outline": "boundaries/lad_outline_kirklees_solihull.geojson",
    "wards": "boundaries/wards_kirklees_solihull.geojson",
    "lsoa2021": "boundaries/lsoa2021_kirklees_solihull.geojson",
    "lsoa2011": "boundaries/lsoa2011_kirklees_solihull.geojson",
    "lsoa2021_ward_lookup": "boundaries/lookup_lsoa2021_to_ward_bestfit.csv",
    "population_lsoa": (
        "population/census2021_usual_residents_by_age6_lsoa2021_kirklees_solihull.csv"
    ),
    "population_ward": (
        "population/census2021_usual_residents_by_age6_ward_bestfit_kirklees_solihull.csv"
    ),
    "imd2019": "deprivation/imd2019_lsoa2011_kirklees_solihull.csv",
    "osm_poi_points": "poi/osm_poi_points_kirklees.geojson",
    "osm_poi_areas": "poi/osm_poi_areas_kirklees.geojson",
    "schools": "poi/schools_gias_open_kirklees_solihull.geojson",
    "rail_stations": "poi/rail_stations_naptan_kirklees_solihull.geojson",
    "cla_netgain": (
        "childrens_social_care/dfe_cla_31march_placed_in_out_of_la_netgain_la_2020_2024.csv"
    ),
    "cla_missing": ("childrens_social_care/dfe_cla_missing_away_from_placement_la_2020_2024.csv"),
    "cla_rate": "childrens_social_care/dfe_cla_number_and_rate_per_10k_la_2020_2024.csv",
    "cla_new_placements": (
        "childrens_social_care/"
        "dfe_cla_new_placements_location_distance_and_change_reason_la_2020_2024.csv"
    ),
    "ofsted_homes_by_la": (
        "childrens_social_care/ofsted_childrens_homes_by_la_type_sector_31march2023.csv"
    ),
}


def data_dir() -> Path:
    """Return the folder holding the bundled open data.

    Returns
    -------
    pathlib.Path
        ``$CSMAP_DATA_DIR`` if set, else the repository's ``data/`` folder.

    Examples
    --------
    >>> data_dir().is_dir()
    True
    """
    env = os.environ.get("CSMAP_DATA_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "data"


def available() -> list[str]:
    """List the short names of the bundled datasets whose file is present.

    Returns
    -------
    list of str
        Sorted dataset names accepted by :func:`get_path`.

    Examples
    --------
    >>> "population_lsoa" in available()
    True
    """
    root = data_dir()
    return sorted(name for name, rel in DATASETS.items() if (root / rel).is_file())


def get_path(name: str) -> Path:
    """Return the path of a bundled dataset.

    Parameters
    ----------
    name : str
        A short name from :data:`DATASETS` (e.g. ``"wards"``) or a path relative to the data folder.

    Returns
    -------
    pathlib.Path
        Absolute path of an existing file.

    Raises
    ------
    ParameterError
        If ``name`` is neither a known dataset nor a relative path.
    UnreadableFileError
        If the file is missing from the data folder.

    Examples
    --------
    >>> get_path("boundaries/wards_kirklees_solihull.geojson") == get_path("wards")
    True
    """
    rel = DATASETS.get(name)
    if rel is None:
        if "/" not in name:
            raise ParameterError(
                f"unknown bundled dataset {name!r}; known: {', '.join(sorted(DATASETS))}"
            )
        rel = name
    path = data_dir() / rel
    if not path.is_file():
        raise UnreadableFileError(f"{path}: bundled data file is missing")
    return path
