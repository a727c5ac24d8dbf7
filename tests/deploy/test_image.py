"""The worker image's recipe (deploy/docker/Dockerfile), read rather than built: a slim
Python base, every dependency pinned at the version the tests ran with
(requirements.txt == the installed closure of pyproject's dependencies), installed without
a resolver, a non-root user, no kubectl, only existing sources copied and let through the
Dockerfile's ignore file."""

from __future__ import annotations

import fnmatch
import re

from tests.support.paths import REPO

from .manifests import DOCKERFILE
from .pins import render

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


def test_every_dependency_is_pinned_at_the_tested_version() -> None:
    assert REQUIREMENTS.read_text() == render(), "regenerate: python -m tests.deploy.pins > deploy/docker/requirements.txt"
    pins = [line for line in REQUIREMENTS.read_text().splitlines() if line and not line.startswith("#")]
    assert pins and all(re.fullmatch(r"[a-z0-9.-]+==[\w.+-]+", p) for p in pins), pins
    runs = " ".join(rest for word, rest in instructions() if word == "RUN")
    assert "--no-deps -r deploy/docker/requirements.txt" in runs
    assert "pip install --no-deps /src" in runs and "pip check" in runs


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
