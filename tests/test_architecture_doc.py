"""docs/architecture.md's step tables are generated from the runbooks and the step records;
they cannot drift from the workflows' plans or from what the worker registers."""

from __future__ import annotations

import importlib.util
import re
from types import ModuleType

from eksa_temporal.activities.steps import step_info
from eksa_temporal.workflows import plans
from tests.support.paths import REPO

GEN = REPO / "scripts" / "gen_architecture.py"


def _gen() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_architecture", GEN)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _section() -> str:
    text = (REPO / "docs" / "architecture.md").read_text()
    gen = _gen()
    return text[text.index(gen.BEGIN) : text.index(gen.END)]


def test_the_doc_s_step_tables_are_the_generator_s_output() -> None:
    gen = _gen()
    text = gen.DOC.read_text()
    assert gen.updated(text) == text, "docs/architecture.md is stale: run python scripts/gen_architecture.py"


def test_every_runbook_lists_its_steps_in_order_in_the_doc() -> None:
    section = _section()
    for title, plan in plans.PLANS.items():
        table = section[section.index(f"#### {title}\n") :].split("\n\n")[1]
        shown = re.findall(r"^\| \d+ \| `([a-z-]+)`", table, re.M)
        assert shown == plans.names(plan), title


def test_every_registered_activity_is_in_the_doc_and_every_runbook_step_is_registered() -> None:
    gen = _gen()
    registered = set(gen.registered_names())
    runbook = {step_info(m).name for m in gen._runbook_methods()}
    assert runbook <= registered, f"runbook steps the worker does not register: {sorted(runbook - registered)}"
    documented = set(re.findall(r"^\| [\d-]+ \| `([a-z-]+)`", _section(), re.M))
    assert documented == registered, (sorted(registered - documented), sorted(documented - registered))
