"""Offline browser assets for folium maps (Leaflet, jQuery, Bootstrap, ...).

folium and streamlit-folium load Leaflet and friends from CDNs inside the map's iframe; with no
internet the map stays blank without any error. csmap therefore fetches the exact files once, at
set-up, from the npm registry (tarball sha512 checked against the registry's ``dist.integrity``
*and* the value pinned in ``app/vendor_assets.txt``) into ``app/static/vendor/``, which Streamlit
serves at ``/app/static/vendor/...`` (``server.enableStaticServing``). At run time
:func:`use_local_assets` points folium's asset lists at those files, and :func:`external_urls` /
:func:`assert_offline` check that a built map references nothing off the machine.

Run ``python -m app.maps.vendor fetch`` (``make vendor``) once; ``python -m app.maps.vendor check``
reports
missing files.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import shutil
import sys
import tarfile
import tempfile
import urllib.request
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import folium
import folium.plugins

from geo.errors import CsmapError

APP_DIR = Path(__file__).resolve().parents[1]
MANIFEST_PATH = APP_DIR / "vendor_assets.txt"
VENDOR_DIR = APP_DIR / "static" / "vendor"
#: URL prefix under which Streamlit's static serving exposes ``app/static/vendor``.
LOCAL_PREFIX = "/app/static/vendor/"
REGISTRY = "https://registry.npmjs.org"

#: folium classes whose assets csmap maps use; :func:`use_local_assets` rewrites these.
PATCHED_CLASSES: tuple[type, ...] = (
    folium.Map,
    folium.plugins.HeatMap,
    folium.plugins.FastMarkerCluster,
    folium.plugins.MarkerCluster,
)


class VendorAssetsMissingError(CsmapError):
    """The local copies of the map's browser assets are missing: run ``make vendor``."""


class OnlineAssetError(CsmapError):
    """A map references a script or stylesheet that is not served from this machine."""


@dataclass(frozen=True)
class NpmPackage:
    """One npm tarball and the files csmap takes from it."""

    name: str
    version: str
    integrity: str
    files: tuple[tuple[str, str, bool], ...] = ()  # (member, dest, is_dir)


@dataclass(frozen=True)
class Manifest:
    """The parsed ``vendor_assets.txt``."""

    packages: tuple[NpmPackage, ...]
    folium_files: tuple[tuple[str, str], ...]
    cdn: dict[str, str] = field(default_factory=dict)
    skip: frozenset[str] = frozenset()


def load_manifest(*, path: Path = MANIFEST_PATH) -> Manifest:
    """Parse the asset manifest.

    Parameters
    ----------
    path : Path
        The manifest file (default ``app/vendor_assets.txt``).

    Returns
    -------
    Manifest

    Examples
    --------
    >>> m = load_manifest()
    >>> m.cdn["https://code.jquery.com/jquery-3.7.1.min.js"]
    'jquery/jquery.min.js'
    """
    packages: list[NpmPackage] = []
    current: dict[str, Any] | None = None
    folium_files: list[tuple[str, str]] = []
    cdn: dict[str, str] = {}
    skip: set[str] = set()

    def close() -> None:
        if current is not None:
            packages.append(NpmPackage(**{**current, "files": tuple(current["files"])}))

    for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        kind, *rest = line.split()
        if kind == "package" and len(rest) == 3:
            close()
            current = {"name": rest[0], "version": rest[1], "integrity": rest[2], "files": []}
        elif kind in ("file", "dir") and len(rest) == 2 and current is not None:
            current["files"].append((rest[0], rest[1], kind == "dir"))
        elif kind == "folium" and len(rest) == 2:
            folium_files.append((rest[0], rest[1]))
        elif kind == "cdn" and len(rest) == 2:
            cdn[rest[0]] = rest[1]
        elif kind == "skip" and len(rest) == 1:
            skip.add(rest[0])
        else:
            raise CsmapError(f"{path}: line {lineno}: cannot parse {raw.strip()!r}")
    close()
    return Manifest(tuple(packages), tuple(folium_files), cdn, frozenset(skip))


def _get(url: str, *, timeout: float = 60.0) -> bytes:
    if not url.startswith(REGISTRY + "/"):
        raise CsmapError(f"refusing to download {url}: only the npm registry is used")
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (https only)
        data: bytes = response.read()
    return data


def _sri_sha512(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode("ascii")


def _fetch_package(pkg: NpmPackage, *, dest: Path) -> list[Path]:
    quoted = pkg.name.replace("/", "%2F")
    meta = json.loads(_get(f"{REGISTRY}/{quoted}/{pkg.version}"))
    dist = meta.get("dist", {})
    if dist.get("integrity") != pkg.integrity:
        raise CsmapError(
            f"{pkg.name}@{pkg.version}: registry integrity {dist.get('integrity')!r} "
            f"differs from the pinned {pkg.integrity!r} in {MANIFEST_PATH.name}"
        )
    tarball = _get(str(dist["tarball"]))
    if _sri_sha512(tarball) != pkg.integrity:
        raise CsmapError(f"{pkg.name}@{pkg.version}: downloaded tarball fails its sha512 check")
    written: list[Path] = []
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as tar:
        members = [m for m in tar.getmembers() if m.isfile()]
        for member_path, target, is_dir in pkg.files:
            if is_dir:
                chosen = [
                    (m, target + "/" + m.name[len(member_path) + 1 :])
                    for m in members
                    if m.name.startswith(member_path.rstrip("/") + "/")
                ]
            else:
                chosen = [(m, target) for m in members if m.name == member_path]
            if not chosen:
                raise CsmapError(f"{pkg.name}@{pkg.version}: no {member_path} in the tarball")
            for member, rel in chosen:
                out = dest / rel
                if ".." in Path(rel).parts:
                    raise CsmapError(f"{pkg.name}: unsafe path {rel!r}")
                out.parent.mkdir(parents=True, exist_ok=True)
                handle = tar.extractfile(member)
                assert handle is not None
                out.write_bytes(handle.read())
                written.append(out)
    return written


def fetch(*, dest: Path = VENDOR_DIR, manifest: Manifest | None = None) -> list[Path]:
    """Download the manifest's assets from the npm registry into ``dest``.

    Everything is written to a temporary folder first and moved into place only when every
    package passed its integrity check, so a failed fetch leaves the old copy intact.

    Parameters
    ----------
    dest : Path
        Target folder (default ``app/static/vendor``).
    manifest : Manifest, optional
        Parsed manifest (default: :func:`load_manifest`).

    Returns
    -------
    list of Path
        The files written (under ``dest``).

    Examples
    --------
    >>> fetch(dest=Path("/tmp/vendor"))  # doctest: +SKIP
    """
    manifest = manifest or load_manifest()
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest.parent, prefix=".vendor-") as tmp_name:
        tmp = Path(tmp_name) / "vendor"
        written: list[Path] = []
        for pkg in manifest.packages:
            written += _fetch_package(pkg, dest=tmp)
        templates = Path(folium.__file__).resolve().parent / "templates"
        for name, target in manifest.folium_files:
            out = tmp / target
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(templates / name, out)
            written.append(out)
        if dest.exists():
            shutil.rmtree(dest)
        tmp.rename(dest)
    return [dest / p.relative_to(tmp) for p in written]


def missing_assets(*, vendor_dir: Path = VENDOR_DIR, manifest: Manifest | None = None) -> list[str]:
    """Vendor paths that a CDN URL maps to but that do not exist locally.

    Examples
    --------
    >>> isinstance(missing_assets(), list)
    True
    """
    manifest = manifest or load_manifest()
    return sorted({rel for rel in manifest.cdn.values() if not (vendor_dir / rel).is_file()})


def local_file(url: str, *, vendor_dir: Path = VENDOR_DIR) -> Path | None:
    """The local file serving a CDN or ``/app/static/vendor/`` URL, or None.

    Examples
    --------
    >>> local_file("https://code.jquery.com/jquery-3.7.1.min.js").name
    'jquery.min.js'
    >>> local_file("https://example.org/x.js") is None
    True
    """
    if url.startswith(LOCAL_PREFIX):
        return vendor_dir / url[len(LOCAL_PREFIX) :]
    rel = load_manifest().cdn.get(url)
    return vendor_dir / rel if rel else None


def _rewrite(
    entries: Iterable[tuple[str, str]], *, manifest: Manifest, vendor_dir: Path
) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for name, url in entries:
        if url.startswith(LOCAL_PREFIX):  # already rewritten: keep (idempotent)
            out.append((name, url))
        elif url in manifest.cdn:
            rel = manifest.cdn[url]
            if not (vendor_dir / rel).is_file():
                raise VendorAssetsMissingError(
                    f"map asset {vendor_dir / rel} is missing (for {url}); "
                    "run `make vendor` (python -m app.maps.vendor fetch) once while online"
                )
            out.append((name, LOCAL_PREFIX + rel))
        elif url in manifest.skip:
            continue
        else:
            raise OnlineAssetError(f"no local copy is configured for {url} (app/vendor_assets.txt)")
    return out


def use_local_assets(
    *, vendor_dir: Path = VENDOR_DIR, classes: Sequence[type] = PATCHED_CLASSES
) -> None:
    """Point folium's ``default_js``/``default_css`` at the vendored copies.

    Idempotent: Streamlit re-runs scripts, and already-rewritten URLs are kept as they are.

    Raises
    ------
    VendorAssetsMissingError
        If a vendored file is missing (run ``make vendor``).

    Examples
    --------
    >>> use_local_assets()  # doctest: +SKIP
    >>> folium.Map.default_js[0][1]  # doctest: +SKIP
    '/app/static/vendor/leaflet/leaflet.js'
    """
    manifest = load_manifest()
    for cls in classes:
        for attr in ("default_js", "default_css"):
            entries = cls.__dict__.get(attr)
            if entries is None:
                continue
            setattr(cls, attr, _rewrite(entries, manifest=manifest, vendor_dir=vendor_dir))


def external_urls(fmap: folium.Map) -> list[str]:
    """Scripts/stylesheets a built map (and streamlit-folium) would load from off this machine.

    Mirrors streamlit-folium's walk: ``default_js``/``default_css`` of every element, plus d3 from
    a CDN for any branca colormap.

    Examples
    --------
    >>> external_urls(folium.Map(tiles=None))  # doctest: +SKIP
    []
    """
    import branca.colormap

    urls: list[str] = []

    def walk(element: Any) -> None:
        if isinstance(element, branca.colormap.ColorMap):
            urls.append("https://d3js.org/d3.v4.min.js")
        for attr in ("default_js", "default_css"):
            urls.extend(url for _, url in getattr(element, attr, []) or [])
        for child in getattr(element, "_children", {}).values():
            walk(child)

    walk(fmap)
    return sorted({u for u in urls if not u.startswith("/")})


def assert_offline(fmap: folium.Map) -> None:
    """Raise :class:`OnlineAssetError` if the map would load any asset from the internet.

    Examples
    --------
    >>> assert_offline(folium.Map(tiles=None))  # doctest: +SKIP
    """
    remote = external_urls(fmap)
    if remote:
        raise OnlineAssetError("map would load assets from the internet: " + ", ".join(remote))


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m app.maps.vendor fetch|check``."""
    parser = argparse.ArgumentParser(prog="python -m app.maps.vendor", description=__doc__)
    parser.add_argument("action", choices=["fetch", "check"])
    parser.add_argument("--dest", type=Path, default=VENDOR_DIR)
    args = parser.parse_args(argv)
    if args.action == "fetch":
        try:
            files = fetch(dest=args.dest)
        except (CsmapError, OSError) as exc:
            print(f"csmap vendor: {exc}", file=sys.stderr)
            return 2
        total = sum(f.stat().st_size for f in files)
        print(f"fetched {len(files)} files ({total / 1e6:.1f} MB) into {args.dest}")
        return 0
    missing = missing_assets(vendor_dir=args.dest)
    if missing:
        print(f"missing in {args.dest}: {', '.join(missing)}; run `make vendor`", file=sys.stderr)
        return 2
    print(f"all map assets present in {args.dest}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
