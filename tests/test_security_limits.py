"""Hardening limits: upload size, paths in configuration/mapping files, no secrets in the repo."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from geo.errors import CsmapError, LookupFileError, SchemaError, UnreadableFileError
from geo.ingest.read.readers import (
    DEFAULT_MAX_UPLOAD_MB,
    MAX_UPLOAD_ENV,
    UploadTooLargeError,
    check_upload_size,
    max_upload_bytes,
)
from geo.ingest.schema import load_mapping
from geo.locate.geocode import load_lookups

ROOT = Path(__file__).resolve().parents[1]
LOOKUP_FIXTURE = ROOT / "tests" / "fixtures" / "lookups" / "nspl_sample.csv"
MB = 1024 * 1024


# --- upload size -----------------------------------------------------------------------------


def test_default_limit_matches_streamlit_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(MAX_UPLOAD_ENV, raising=False)
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["maxUploadSize"] == DEFAULT_MAX_UPLOAD_MB == 50
    assert max_upload_bytes() == 50 * MB


def test_upload_limit_boundary(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MAX_UPLOAD_ENV, "0.001")  # 1048 bytes
    limit = max_upload_bytes()
    assert limit == 1048
    check_upload_size(b"x" * limit, name="ok.csv")  # at the limit: accepted
    check_upload_size(memoryview(b"x" * limit), name="ok.csv")
    with pytest.raises(UploadTooLargeError) as info:
        check_upload_size(b"x" * (limit + 1), name="concerns_2026.csv")
    message = str(info.value)
    assert message.startswith("concerns_2026.csv:")
    assert MAX_UPLOAD_ENV in message and "\n" not in message
    # One of the documented errors: the CLI and app treat it as unreadable input (exit 2).
    assert isinstance(info.value, UnreadableFileError)
    assert isinstance(info.value, CsmapError)


def test_default_limit_refuses_51_mb(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(MAX_UPLOAD_ENV, raising=False)
    check_upload_size(bytes(50 * MB), name="fifty.csv")
    with pytest.raises(UploadTooLargeError, match="51.0 MB; uploads are limited to 50.0 MB"):
        check_upload_size(bytes(51 * MB), name="big.csv")


@pytest.mark.parametrize("bad", ["0", "-5", "fifty", "nan", "inf"])
def test_bad_limit_setting_is_an_error(monkeypatch: pytest.MonkeyPatch, bad: str) -> None:
    monkeypatch.setenv(MAX_UPLOAD_ENV, bad)
    with pytest.raises(UnreadableFileError, match=MAX_UPLOAD_ENV):
        check_upload_size(b"", name="x.csv")


# --- paths inside configuration and mapping files --------------------------------------------


@pytest.fixture
def no_lookup_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CSMAP_POSTCODE_LOOKUP", raising=False)
    monkeypatch.delenv("CSMAP_UPRN_LOOKUP", raising=False)


@pytest.mark.usefixtures("no_lookup_env")
def test_relative_lookup_path_inside_its_folder_loads(tmp_path: Path) -> None:
    (tmp_path / "lookups").mkdir()
    shutil.copyfile(LOOKUP_FIXTURE, tmp_path / "lookups" / "pc.csv")
    cfg = tmp_path / "csmap.yaml"
    cfg.write_text("lookups:\n  postcode: lookups/./pc.csv\n")
    assert load_lookups(cfg).postcode is not None


@pytest.mark.usefixtures("no_lookup_env")
@pytest.mark.parametrize("escape", ["../pc.csv", "sub/../../pc.csv", "../../../../etc/passwd"])
def test_relative_lookup_path_cannot_escape(tmp_path: Path, escape: str) -> None:
    folder = tmp_path / "config"
    folder.mkdir()
    shutil.copyfile(LOOKUP_FIXTURE, tmp_path / "pc.csv")  # a real file, just outside
    cfg = folder / "csmap.yaml"
    cfg.write_text(f"lookups:\n  postcode: {escape}\n")
    with pytest.raises(LookupFileError, match=r"lookups\.postcode: path .* escapes its folder"):
        load_lookups(cfg)


@pytest.mark.usefixtures("no_lookup_env")
def test_symlink_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "config"
    folder.mkdir()
    shutil.copyfile(LOOKUP_FIXTURE, tmp_path / "pc.csv")
    (folder / "pc.csv").symlink_to(tmp_path / "pc.csv")
    cfg = folder / "csmap.yaml"
    cfg.write_text("lookups:\n  postcode: pc.csv\n")
    with pytest.raises(LookupFileError, match="escapes its folder"):
        load_lookups(cfg)


@pytest.mark.usefixtures("no_lookup_env")
def test_absolute_lookup_path_is_the_operators_choice(tmp_path: Path) -> None:
    cfg = tmp_path / "csmap.yaml"
    cfg.write_text(f"lookups:\n  postcode: {LOOKUP_FIXTURE}\n")
    assert load_lookups(cfg).postcode is not None


def test_mapping_files_cannot_reference_files(tmp_path: Path) -> None:
    """A column mapping has only 'columns:' and 'values:'; nothing in it is opened as a path."""
    mapping = tmp_path / "m.yaml"
    mapping.write_text("columns: {Ref: record_id}\nlookups: {postcode: ../../etc/passwd}\n")
    with pytest.raises(SchemaError, match="only 'columns:' and 'values:'"):
        load_mapping(mapping)
    mapping.write_text("columns: {Ref: ../../etc/passwd}\n")
    with pytest.raises(SchemaError, match="not a canonical column"):
        load_mapping(mapping)
    mapping.write_text("columns: {Ref: record_id}\nvalues: {category: {x: ../../etc/passwd}}\n")
    parsed = load_mapping(mapping)  # a value mapping is text, never a file
    assert parsed.values["category"] == {"x": "../../etc/passwd"}


# --- no secrets in the repository ------------------------------------------------------------

_KEY = "PRIVATE" + " KEY"
_SECRET_PATTERNS = (
    (re.compile(r"-----BEGIN (?:[A-Z]+ )?" + _KEY + r"(?: BLOCK)?-----"), "private key"),
    (re.compile(r"(?i)\b(cookie_secret|client_secret)\b\s*[=:]\s*[\"']?([^\"'\s#,}]*)"), "secret"),
    (re.compile(r"\bAKIA[0-9A-Z]{16}\b"), "AWS access key"),
    (re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"), "GitHub token"),
)
#: Documented placeholders a secret may have in examples: <...>, empty, or obvious dummies.
_PLACEHOLDER = re.compile(r"^(<[^>]*>?|\.\.\.|x+|changeme|placeholder|dummy|test[-_a-z]*|)$", re.I)


def _tracked_files() -> list[Path]:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    out = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    return [ROOT / name for name in out.decode("utf-8").split("\0") if name]


def _secret_findings(text: str) -> list[str]:
    found = []
    for pattern, what in _SECRET_PATTERNS:
        for match in pattern.finditer(text):
            if what == "secret":
                value = match.group(2)
                if _PLACEHOLDER.match(value) or not re.search(r"[A-Za-z0-9]{8,}", value):
                    continue  # placeholders and code (e.g. ``client_secret=secret``) are fine
                if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*(\(.*)?", value) and value.islower():
                    continue  # a variable or attribute name, not a value
            found.append(f"{what}: {match.group(0)[:60]}")
    return found


def test_secret_scanner_catches_real_looking_values() -> None:
    # Built by concatenation so this file itself does not hold a secret-looking line.
    assert _secret_findings("cookie_secret" + ' = "8f2b1c9e4d7a6b3c0e5f"')
    assert _secret_findings("client_secret" + ": Qx8~vT2pLm9RfK3aZ")
    assert _secret_findings("-----BEGIN RSA " + _KEY + "-----\nMIIB")
    assert _secret_findings("AKIA" + "ABCDEFGHIJKLMNOP")
    assert not _secret_findings('cookie_secret = "<long random string>"')
    assert not _secret_findings('client_secret = "<secret>"')
    assert not _secret_findings("client_secret=client_secret,")


def test_no_secrets_in_tracked_files() -> None:
    findings = []
    for path in _tracked_files():
        if not path.is_file() or path.stat().st_size > 5 * MB:
            continue
        data = path.read_bytes()
        if b"\0" in data[:8192]:
            continue  # binary (images, GeoPackages)
        for finding in _secret_findings(data.decode("utf-8", errors="replace")):
            findings.append(f"{path.relative_to(ROOT)}: {finding}")
    assert not findings, "secrets in tracked files:\n" + "\n".join(findings)
    assert not [p for p in _tracked_files() if p.name == "secrets.toml"]
