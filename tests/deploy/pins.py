"""The worker image's pinned dependencies (``deploy/docker/requirements.txt``): every package
the installed ``eksa-temporal`` needs at run time, transitively, at the version installed in
this environment - the set its tests ran with. ``python -m tests.deploy.pins`` prints the
file; ``tests/deploy/test_image.py`` checks the committed file pins every package of it."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, distribution

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

HEADER = """\
# Pinned run-time dependencies of the worker image (deploy/docker/Dockerfile): the closure of
# eksa-temporal's [project.dependencies] at the versions its tests ran with.
# Regenerate after changing pyproject.toml: python -m tests.deploy.pins > deploy/docker/requirements.txt
"""


def closure(root: str = "eksa-temporal") -> dict[str, str]:
    """``{canonical name: installed version}`` of what ``root`` needs, ``root`` excluded."""
    found: dict[str, str] = {}
    todo: list[tuple[str, frozenset[str]]] = [(root, frozenset())]
    visited: set[tuple[str, frozenset[str]]] = set()
    while todo:
        name, extras = todo.pop()
        if (canonicalize_name(name), extras) in visited:
            continue
        visited.add((canonicalize_name(name), extras))
        dist = distribution(name)
        for raw in dist.requires or []:
            req = Requirement(raw)
            wanted = req.marker is None or any(
                req.marker.evaluate({"extra": extra}) for extra in (extras or {""})
            )
            if not wanted:
                continue
            try:
                dep = distribution(req.name)
            except PackageNotFoundError as exc:
                raise AssertionError(f"{name} needs {req}, which is not installed") from exc
            found[canonicalize_name(dep.metadata["Name"])] = dep.version
            todo.append((req.name, frozenset(req.extras)))
    found.pop(canonicalize_name(root), None)
    return found


def render() -> str:
    return HEADER + "".join(f"{name}=={version}\n" for name, version in sorted(closure().items()))


if __name__ == "__main__":
    print(render(), end="")
