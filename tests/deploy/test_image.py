"""The worker image's recipe (deploy/docker/Dockerfile), read rather than built: a slim
Python base, every run-time dependency (the installed closure of pyproject's dependencies)
pinned within the project's ranges and installed without a resolver, a non-root user, no kubectl, only existing sources copied and let through the
Dockerfile's ignore file."""

from __future__ import annotations

import fnmatch
import re
from importlib.metadata import distribution

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.support.paths import REPO

from .manifests import DOCKERFILE
from .pins import closure

REQUIREMENTS = DOCKERFILE.parent / "requirements.txt"


def instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def pins() -> dict[str, str]:
    found = {}
    for line in REQUIREMENTS.read_text().splitlines():
        if line and not line.startswith("#"):
            name, sep, version = line.partition("==")
            assert sep and re.fullmatch(r"[a-z0-9.-]+", name) and re.fullmatch(r"[\w.+-]+", version), line
            found[canonicalize_name(name)] = version
    return found


def test_every_dependency_is_pinned_and_installed_without_a_resolver() -> None:
    missing = sorted(set(closure()) - set(pins()))
    assert missing == [], f"not pinned: {missing}; regenerate: python -m tests.deploy.pins > {REQUIREMENTS.relative_to(REPO)}"
    runs = " ".join(rest for word, rest in instructions() if word == "RUN")
    assert "--no-deps -r deploy/docker/requirements.txt" in runs
    assert "pip install --no-deps /src" in runs and "pip check" in runs


def test_the_pins_are_within_the_project_s_ranges() -> None:
    pinned = pins()
    direct = [Requirement(r) for r in distribution("eksa-temporal").requires or []]
    direct = [r for r in direct if r.marker is None or r.marker.evaluate({"extra": ""})]
    assert direct
    for req in direct:
        version = pinned[canonicalize_name(req.name)]
        assert req.specifier.contains(version, prereleases=True), f"{req.name}=={version} outside {req.specifier}"


def test_the_image_is_slim_non_root_and_without_kubectl() -> None:
    ins = instructions()
    assert any(w == "ARG" and re.fullmatch(r"PYTHON_IMAGE=python:3\.1[1-9]-slim-\w+", r) for w, r in ins)
    users = [r for w, r in ins if w == "USER"]
    assert users and users[-1] != "root" and not users[-1].startswith("0")
    assert any(w == "ARG" and r == "UID=65532" for w, r in ins)
    assert "kubectl" not in " ".join(r for w, r in ins if w == "RUN")
    assert ("ENTRYPOINT", '["eksa-temporal"]') in ins and ("CMD", '["worker"]') in ins
    assert ("STOPSIGNAL", "SIGTERM") in ins


def test_what_the_image_copies_exists_and_passes_the_ignore_file() -> None:
    ignore = [line for line in (DOCKERFILE.parent / "Dockerfile.dockerignore").read_text().splitlines() if line and not line.startswith("#")]

    def included(path: str) -> bool:
        keep = True
        for pattern in ignore:
            negate = pattern.startswith("!")
            pat = pattern.lstrip("!").rstrip("/")
            if fnmatch.fnmatch(path, pat) or path.startswith(pat + "/"):
                keep = negate
        return keep

    sources = []
    for word, rest in instructions():
        if word == "COPY" and "--from=" not in rest:
            sources += rest.split()[:-1]
    assert sources
    for source in sources:
        assert (REPO / source).exists(), source
        assert included(source), f"{source} is excluded by Dockerfile.dockerignore"
    assert not included("tests/e2e/conftest.py") and not included(".venv/bin/python")
