"""Schema: column synonyms, the mapping file, value parsers (with hypothesis properties)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.errors import SchemaError
from geo.ingest.schema import load_mapping, match_columns, normalise_name
from geo.ingest.values import (
    CATEGORY,
    PLACEMENT,
    RISK,
    parse_age,
    parse_authority,
    parse_bool,
    parse_dates,
    parse_vocabulary,
)
from geo.vocab import CATEGORIES, PLACEMENT_TYPES, RISK_LEVELS


def test_synonyms_case_insensitive():
    matched, extra = match_columns(
        ["Concern_ID", "DATE REPORTED", "Exploitation Type", "Agency", "X", "Y", "Notes", "Foo"],
        kind="concerns",
    )
    assert matched == {
        "Concern_ID": "record_id",
        "DATE REPORTED": "reported_date",
        "Exploitation Type": "category",
        "Agency": "reporting_agency",
        "X": "longitude",
        "Y": "latitude",
        "Notes": "summary",
    }
    assert extra == ["Foo"]


def test_canonical_name_wins_over_synonym():
    matched, extra = match_columns(["id", "record_id", "reported_date"], kind="concerns")
    assert matched["record_id"] == "record_id"
    assert "id" in extra


def test_missing_episode_prefixes_and_ssda903_names():
    matched, _ = match_columns(
        [
            "Episode Ref",
            "Date Missing",
            "Date Found",
            "MIS_TYPE",
            "Last Seen Postcode",
            "Found Lat",
            "Found Lon",
            "Returned Grid Ref",
            "Placing LA",
        ],
        kind="missing_episodes",
    )
    assert list(matched.values()) == [
        "episode_id",
        "start",
        "end",
        "episode_type",
        "last_seen_postcode",
        "found_latitude",
        "found_longitude",
        "found_grid_ref",
        "placing_authority",
    ]
    placements, _ = match_columns(
        ["ref", "DECOM", "PLACE", "PLACE_PROVIDER", "PL_POST"], kind="placements"
    )
    assert list(placements.values()) == [
        "placement_id",
        "start_date",
        "placement_type",
        "provider_type",
        "postcode",
    ]


def test_mapping_file(tmp_path: Path):
    path = tmp_path / "m.yaml"
    path.write_text(
        "columns:\n  Incident No: record_id\n  When: reported_date\n"
        "values:\n  risk_level:\n    Purple: high\n"
    )
    mapping = load_mapping(path)
    matched, _ = match_columns(["incident no", "WHEN", "Risk"], kind="concerns", mapping=mapping)
    assert matched == {"incident no": "record_id", "WHEN": "reported_date", "Risk": "risk_level"}
    values, why = parse_vocabulary(
        pd.Series(["purple", "Amber"]),
        field="risk_level",
        vocabulary=RISK,
        user_values=mapping.values["risk_level"],
    )
    assert values.tolist() == ["high", "medium"] and why.tolist() == ["", ""]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("columns: {a: not_a_column}\n", "not a canonical column"),
        ("rows: {}\n", "only 'columns:' and 'values:'"),
        ("columns: [\n", "not valid YAML"),
    ],
)
def test_bad_mapping_file(tmp_path: Path, text: str, message: str):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(SchemaError, match=message):
        load_mapping(path)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Child Sexual Exploitation", "CSE"),
        ("criminal exploitation", "CCE"),
        ("County  Lines", "county lines"),
        ("Modern slavery", "trafficking/modern slavery"),
        ("NRM", "trafficking/modern slavery"),
        ("peer on peer", "child-on-child abuse"),
        ("Online grooming", "online"),
        ("SYV", "gangs/serious youth violence"),
        ("something new", "other"),
    ],
)
def test_category_synonyms(raw, expected):
    values, why = parse_vocabulary(
        pd.Series([raw]), field="category", vocabulary=CATEGORY, unknown="other"
    )
    assert values.iloc[0] == expected and why.iloc[0] == ""


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("K2", "children's home"),
        ("k1", "secure"),
        ("H5", "supported/semi-independent"),
        ("U1", "foster care"),
        ("U6", "foster care"),
        ("S1", "residential school"),
        ("R1", "other"),
        ("R5", "other"),
        ("Z1", "other"),
    ],
)
def test_ssda903_placement_codes(code, expected):
    values, _ = parse_vocabulary(pd.Series([code]), field="placement_type", vocabulary=PLACEMENT)
    assert values.iloc[0] == expected


def test_unknown_controlled_value_is_a_reason():
    values, why = parse_vocabulary(pd.Series(["K9"]), field="placement_type", vocabulary=PLACEMENT)
    assert values.iloc[0] is None
    assert why.iloc[0] == "placement_type: unknown value 'K9'"


def test_authority_names_and_codes():
    values, why = parse_authority(
        pd.Series(
            [
                "Leeds",
                "Leeds City Council",
                "E08000035",
                "383",
                "Kingston upon Hull, City of",
                "Hull",
                "",
            ]
        )
    )
    assert values.tolist()[:5] == ["E08000035"] * 4 + ["E06000010"]
    assert "unknown local authority 'Hull'" in why.iloc[5]
    assert values.iloc[6] is None and why.iloc[6] == ""


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(CATEGORIES + PLACEMENT_TYPES + RISK_LEVELS),
    st.sampled_from([str.upper, str.lower, str.title, lambda s: f"  {s} "]),
)
def test_canonical_values_map_to_themselves(value, transform):
    for vocab, field in ((CATEGORY, "category"), (PLACEMENT, "placement_type"), (RISK, "risk")):
        if value in vocab.values():
            out, why = parse_vocabulary(
                pd.Series([transform(value)]), field=field, vocabulary=vocab
            )
            assert out.iloc[0] == value and why.iloc[0] == ""


@settings(max_examples=80, deadline=None)
@given(st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2025, 12, 31)))
def test_date_formats_agree(day: dt.date):
    serial = (pd.Timestamp(day) - pd.Timestamp("1899-12-30")).days
    texts = [
        day.isoformat(),
        day.strftime("%d/%m/%Y"),
        day.strftime("%-d.%-m.%Y"),
        str(serial),
        day.strftime("%d %B %Y"),
    ]
    values, why = parse_dates(pd.Series(texts), field="d")
    assert why.tolist() == [""] * 5
    assert (values == pd.Timestamp(day)).all()


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=12))
def test_date_parser_total(text: str):
    values, why = parse_dates(pd.Series([text]), field="d")
    assert pd.isna(values.iloc[0]) == (why.iloc[0] != "" or text.strip() == "")


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=-5, max_value=40))
def test_age_range(age: int):
    values, why = parse_age(pd.Series([str(age)]))
    if 0 <= age <= 25:
        assert values.iloc[0] == age and why.iloc[0] == ""
    else:
        assert pd.isna(values.iloc[0]) and "outside 0-25" in why.iloc[0]


def test_booleans():
    values, why = parse_bool(pd.Series(["Y", "no", "TRUE", "0", "", "perhaps"]), field="b")
    assert values.tolist()[:4] == [True, False, True, False]
    assert pd.isna(values.iloc[4]) and why.iloc[4] == ""
    assert why.iloc[5] == "b: 'perhaps' is not yes/no"


@given(st.text(max_size=30))
def test_normalise_name_idempotent(name: str):
    once = normalise_name(name)
    assert normalise_name(once) == once
    assert once == once.lower()
