"""Obtain a provider's component manifests the way clusterctl does: from an air-gapped
folder ``{components_dir}/{provider}/{version}/*.yaml`` when one is given and holds the
provider, else from the release manifest's files - package data, ``file://``, or HTTP(S)
downloaded once into a content-addressed cache and verified against the pinned sha256.

A checksum mismatch or an unpinned download is a ``ComponentError`` (permanent: retrying
cannot fix it); network errors propagate unchanged (transient). Variables ``${VAR}`` /
``${VAR:=default}`` are substituted from the environment, as clusterctl does.
"""

from __future__ import annotations

import hashlib
import os
import re
import urllib.request
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from eksa_temporal.providers.capi.release import ComponentFile, ProviderRelease

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::=([^}]*))?\}")


class ComponentError(Exception):
    """The components cannot be used (checksum mismatch, unpinned, missing variable)."""


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fetch_file(ref: ComponentFile, cache_dir: Path, *, timeout: float = 60.0) -> bytes:
    """The bytes of one component file, verified against ``ref.sha256`` when set."""
    url = ref.url
    if url.startswith("package://"):
        package, _, name = url.removeprefix("package://").partition("/")
        data = resources.files(package).joinpath(name).read_bytes()
    elif url.startswith("file://"):
        data = Path(url.removeprefix("file://")).read_bytes()
    elif url.startswith(("http://", "https://")):
        if not ref.sha256:
            raise ComponentError(
                f"{url} has no pinned sha256 in the release manifest; refusing to download "
                "unverified components (pin it, or install from a components folder)"
            )
        cached = cache_dir / "sha256" / ref.sha256
        if cached.exists() and sha256_hex(cached.read_bytes()) == ref.sha256:
            return cached.read_bytes()
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            data = bytes(resp.read())
        _verify(url, data, ref.sha256)
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_name(f".{cached.name}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, cached)
        return data
    else:
        raise ComponentError(f"unsupported component URL {url!r}")
    if ref.sha256:
        _verify(url, data, ref.sha256)
    return data


def _verify(url: str, data: bytes, want: str) -> None:
    got = sha256_hex(data)
    if got != want.lower():
        raise ComponentError(f"sha256 mismatch for {url}: got {got}, the release pins {want}")


def local_folder(components_dir: str | Path | None, release: ProviderRelease) -> Path | None:
    """The air-gapped folder of ``release`` if present (label, then short name)."""
    if not components_dir:
        return None
    base = Path(components_dir)
    for name in (release.name, release.provider_name):
        folder = base / name / release.version
        if folder.is_dir() and any(folder.glob("*.y*ml")):
            return folder
    return None


def substitute(text: str, env: dict[str, str] | None = None) -> str:
    """clusterctl-style variables; a variable without value or default is an error."""
    source = os.environ if env is None else env

    def repl(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        value = source.get(name)
        if value is None or value == "":
            if default is None:
                raise ComponentError(f"component variable {name} is not set (fix: export {name})")
            return default
        return value

    return _VAR.sub(repl, text)


def parse_manifests(text: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(text) if isinstance(d, dict) and d.get("kind")]


def provider_manifests(
    release: ProviderRelease,
    *,
    cache_dir: Path,
    components_dir: str | Path | None = None,
) -> tuple[list[dict[str, Any]], str]:
    """Every manifest of one provider and where they came from (``folder`` or ``release``)."""
    folder = local_folder(components_dir, release)
    texts: list[str] = []
    if folder is not None:
        texts = [p.read_text() for p in sorted(folder.glob("*.y*ml")) if p.name != "metadata.yaml"]
        origin = str(folder)
    else:
        texts = [fetch_file(ref, cache_dir).decode() for ref in release.files]
        origin = "release"
    docs: list[dict[str, Any]] = []
    for text in texts:
        docs += parse_manifests(substitute(text) if "${" in text else text)
    return docs, origin
