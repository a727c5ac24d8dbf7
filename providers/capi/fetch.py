"""Obtain a provider's component manifests the way clusterctl does: from a clusterctl local
repository ``{components_dir}/{provider}/{version}/*.yaml`` when one is given and holds the
provider (``metadata.yaml`` is clusterctl's version metadata, not a manifest), else from
the release's files - package data, ``file://``, or HTTPS downloaded into a
content-addressed cache.

Checksums: a file with a pinned sha256 must match it; a file without one has its sha256
recorded on first download (``<cache>/recorded/``) and shown; every reuse of the cache,
and every later download of the same URL, is verified against the pin or the record. A
mismatch is a ``ComponentError`` (permanent: retrying cannot fix it); network errors
propagate unchanged (transient).

Variables ``${VAR}``, ``${VAR:=default}``, ``${VAR=default}`` (and the ``-`` forms) are
substituted as clusterctl's envsubst does, from the process environment overlaid with the
values the caller passes (provider credentials resolved inside the activity); every
variable without value or default is named in one error. Values are never logged.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from eksa_temporal.files import write_private
from eksa_temporal.providers.capi.release import ComponentFile, ProviderRelease

# ${NAME}, ${NAME:=d}, ${NAME=d}, ${NAME:-d}, ${NAME-d}
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)[-=]([^}]*))?\}")


class ComponentError(Exception):
    """The components cannot be used (checksum mismatch, missing variables, bad URL)."""


@dataclass
class Fetched:
    """One provider's manifests, where they came from, and the sha256 of each file read."""

    docs: list[dict[str, Any]]
    origin: str
    checksums: list[str] = field(default_factory=list)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _record_path(cache_dir: Path, url: str) -> Path:
    return cache_dir / "recorded" / f"{sha256_hex(url.encode())}.json"


def recorded_sha256(cache_dir: Path, url: str) -> str:
    """The checksum recorded on the first download of the unpinned ``url`` ('' if none)."""
    path = _record_path(cache_dir, url)
    if not path.exists():
        return ""
    return str(json.loads(path.read_text()).get("sha256") or "")


def fetch_file(ref: ComponentFile, cache_dir: Path, *, timeout: float = 60.0) -> bytes:
    """The bytes of one component file, verified against the pinned or recorded sha256."""
    url = ref.url
    if url.startswith("package://"):
        package, _, name = url.removeprefix("package://").partition("/")
        data = resources.files(package).joinpath(name).read_bytes()
    elif url.startswith("file://"):
        data = Path(url.removeprefix("file://")).read_bytes()
    elif url.startswith(("http://", "https://")):
        return _download(ref, cache_dir, timeout)
    else:
        raise ComponentError(f"unsupported component URL {url!r}")
    if ref.sha256:
        _verify(url, data, ref.sha256, "the release pins")
    return data


def _download(ref: ComponentFile, cache_dir: Path, timeout: float) -> bytes:
    url = ref.url
    want = ref.sha256.lower() or recorded_sha256(cache_dir, url)
    if want:
        cached = cache_dir / "sha256" / want
        if cached.exists():
            data = cached.read_bytes()
            if sha256_hex(data) == want:
                return data
            cached.unlink()  # a damaged cache entry is fetched again, never used
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        data = bytes(resp.read())
    got = sha256_hex(data)
    if ref.sha256:
        _verify(url, data, ref.sha256, "the release pins")
    elif want:
        _verify(url, data, want, "its first download recorded")
    else:
        write_private(
            _record_path(cache_dir, url), json.dumps({"url": url, "sha256": got}, indent=1) + "\n"
        )
    target = cache_dir / "sha256" / got
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, target)
    return data


def _verify(url: str, data: bytes, want: str, who: str) -> None:
    got = sha256_hex(data)
    if got != want.lower():
        raise ComponentError(f"sha256 mismatch for {url}: got {got}, {who} {want}")


def local_folder(components_dir: str | Path | None, release: ProviderRelease) -> Path | None:
    """The local repository folder of ``release`` if present (label, then short name):
    ``<name>/<version>/``, or for a component bundling several projects' releases (the
    Tinkerbell stack) a flat ``<name>/`` whose manifest files name their versions, one of
    them ``release.version``."""
    if not components_dir:
        return None
    base = Path(components_dir)
    for name in (release.name, release.provider_name):
        folder = base / name / release.version
        if folder.is_dir() and _manifest_files(folder):
            return folder
        flat = base / name
        if flat.is_dir() and any(release.version in p.name for p in _manifest_files(flat)):
            return flat
    return None


def _manifest_files(folder: Path) -> list[Path]:
    return [p for p in sorted(folder.glob("*.y*ml")) if p.name != "metadata.yaml"]


def variables(text: str) -> list[str]:
    """The names of the variables ``text`` uses, in order of first use."""
    return list(dict.fromkeys(m.group(1) for m in _VAR.finditer(text)))


def substitute(text: str, env: Mapping[str, str] | None = None) -> str:
    """clusterctl-style variables; every variable without value or default is named in one
    ``ComponentError``."""
    source = os.environ if env is None else env
    missing: list[str] = []

    def repl(match: re.Match[str]) -> str:
        name, colon, default = match.group(1), match.group(2), match.group(3)
        value = source.get(name)
        if value is not None and (value != "" or (default is not None and not colon)):
            return value
        if default is None:
            missing.append(name)
            return ""
        return default

    out = _VAR.sub(repl, text)
    if missing:
        names = list(dict.fromkeys(missing))
        exports = " ".join(f"{n}=..." for n in names)
        raise ComponentError(
            f"component variable(s) without value or default: {', '.join(names)} "
            f"(fix: set them in the worker's environment, e.g. export {exports})"
        )
    return out


# libyaml's loader when PyYAML was built with it (about 10x faster on the 0.5-1 MB
# upstream component files), else the pure-Python one; both are safe loaders
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_manifests(text: str) -> list[dict[str, Any]]:
    return [d for d in yaml.load_all(text, Loader=_LOADER) if isinstance(d, dict) and d.get("kind")]


def provider_manifests(
    release: ProviderRelease,
    *,
    cache_dir: Path,
    components_dir: str | Path | None = None,
    embedded: bool = False,
    values: Mapping[str, str] | None = None,
) -> Fetched:
    """Every manifest of one provider and where they came from: the local repository folder,
    else the embedded stand-ins (``embedded`` and the release has them), else the release
    files. ``values`` overlay the environment for variable substitution."""
    folder = local_folder(components_dir, release)
    texts: list[str] = []
    checksums: list[str] = []
    if folder is not None:
        for path in _manifest_files(folder):
            data = path.read_bytes()
            texts.append(data.decode())
            checksums.append(f"{path.name} sha256:{sha256_hex(data)}")
        origin = str(folder)
    else:
        refs = release.embedded if embedded and release.embedded else release.files
        if not refs:
            raise ComponentError(f"{release.name} {release.version} has no component files")
        for ref in refs:
            data = fetch_file(ref, cache_dir)
            texts.append(data.decode())
            checksums.append(f"{ref.url.rsplit('/', 1)[-1]} sha256:{sha256_hex(data)}")
        origin = "embedded" if refs is release.embedded else "release"
    env = {**os.environ, **(values or {})}
    docs: list[dict[str, Any]] = []
    for text in texts:
        docs += parse_manifests(substitute(text, env) if "${" in text else text)
    return Fetched(docs=docs, origin=origin, checksums=checksums)
