"""Property-based: random and mutated specs never make load + validate raise; they only
return findings."""

from __future__ import annotations

import contextlib
import copy
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eksa_temporal.spec import (
    PROVIDERS,
    Finding,
    check_spec_text,
    generate_cluster_config,
    load_spec,
    validate_spec,
)
from tests.support.paths import SHARED

SEEDS = [list(yaml.safe_load_all(generate_cluster_config("demo", p))) for p in PROVIDERS]
_files = SHARED / "eksa-specs" / "files"
if _files.is_dir():
    for path in sorted(_files.glob("*.yaml")):
        with contextlib.suppress(yaml.YAMLError):
            SEEDS.append([d for d in yaml.safe_load_all(path.read_text()) if d is not None])

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(
        [
            "",
            "1.31",
            "cilium",
            "Cluster",
            "SimMachineConfig",
            "default",
            "10.0.0.0/8",
            "a:b",
            "NoSchedule",
        ]
    ),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


def _mutate(documents: list[Any], choice: int, action: int, value: Any) -> list[Any]:
    documents = copy.deepcopy(documents)
    paths = [p for p in _paths(documents) if len(p) > 1]
    if not paths:
        return documents
    path = paths[choice % len(paths)]
    parent = documents
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if action == 0:
        parent[last] = value
    elif action == 1:
        del parent[last]
    elif action == 2 and isinstance(parent, dict):
        parent[f"{last}x"] = value
    else:
        parent[last] = [parent[last], value]
    return documents


def _check(text: str) -> None:
    spec, findings = check_spec_text(text)
    assert all(isinstance(f, Finding) for f in findings)
    assert spec is None or not any(f.is_error for f in findings)
    result = load_spec(text)
    if result.spec is not None:
        validate_spec(result.spec)
        assert load_spec(result.spec.to_yaml()).spec is not None


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(min_value=0, max_value=len(SEEDS) - 1),
    mutations=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=10_000),
            st.integers(min_value=0, max_value=3),
            values,
        ),
        min_size=1,
        max_size=4,
    ),
)
def test_mutated_specs_only_produce_findings(
    seed: int, mutations: list[tuple[int, int, Any]]
) -> None:
    documents = SEEDS[seed]
    for choice, action, value in mutations:
        documents = _mutate(documents, choice, action, value)
    _check("---\n".join(yaml.safe_dump(d) for d in documents))


@settings(max_examples=80, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(list("ab:-{}[]#&*!|>'\"%@` \n\t---...kindspecCluster0123")),
        max_size=80,
    )
)
def test_random_yaml_text_only_produces_findings(text: str) -> None:
    _check(text)


@settings(max_examples=60, deadline=None)
@given(values)
def test_random_documents_only_produce_findings(document: Any) -> None:
    _check(yaml.safe_dump(document) + "---\n" + generate_cluster_config("demo", "sim"))
