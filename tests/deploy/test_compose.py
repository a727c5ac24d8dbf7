"""The compose file (deploy/docker/compose.yaml) validated without a Docker engine: against
the compose-spec JSON schema with check-jsonschema (an invalid edit is refused), and its
wiring - PostgreSQL persistence and schema setup, the search attributes the workflows
upsert, the Web UI pointed at the codec server it allows, the workers' and the
controller's arguments accepted by the real CLI, no secret value in the file."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from eksa_temporal.devserver import SEARCH_ATTRIBUTES
from eksa_temporal.worker import GRACEFUL_SHUTDOWN
from eksa_temporal.workflows.models import Timeouts

from .manifests import COMPOSE, cli_options, compose_findings, load_yaml, option_names, option_value

IMAGE_SERVICES = ("codec-server", "worker", "controller")


def services() -> dict[str, Any]:
    return load_yaml(COMPOSE)["services"]  # type: ignore[no-any-return]


def test_the_compose_file_is_valid_against_the_compose_spec() -> None:
    assert compose_findings(COMPOSE) is None


@pytest.mark.parametrize(
    ("edit", "complaint"),
    [
        (lambda c: c["services"]["worker"].update(stop_grace_periods="60s"), "stop_grace_periods"),
        (lambda c: c["services"]["worker"]["depends_on"]["temporal-setup"].update(condition="service_done"), "service_done"),
        (lambda c: c["services"]["temporal"].update(ports=7233), "7233"),
    ],
)
def test_an_invalid_edit_is_refused(tmp_path: Path, edit: Any, complaint: str) -> None:
    data = load_yaml(COMPOSE)
    edit(data)
    broken = tmp_path / "compose.yaml"
    broken.write_text(yaml.safe_dump(data))
    err = compose_findings(broken)
    assert err is not None and complaint in err, err


def test_temporal_runs_on_postgresql_with_its_schema_set_up() -> None:
    s = services()
    assert s["postgresql"]["image"].startswith("postgres:")
    assert "postgresql:/var/lib/postgresql/data" in s["postgresql"]["volumes"]
    temporal = s["temporal"]
    assert temporal["image"].startswith("temporalio/auto-setup:")  # creates and updates the schemas
    assert temporal["environment"]["DB"] == "postgres12"
    assert temporal["environment"]["POSTGRES_SEEDS"] == "postgresql"
    assert temporal["depends_on"]["postgresql"]["condition"] == "service_healthy"


def test_the_setup_job_registers_the_search_attributes_the_workflows_upsert() -> None:
    setup = services()["temporal-setup"]
    assert setup["environment"]["EKSA_SEARCH_ATTRIBUTES"].split() == list(SEARCH_ATTRIBUTES)
    assert "search-attribute create" in setup["command"][0]
    for name in ("worker", "controller"):
        assert services()[name]["depends_on"]["temporal-setup"]["condition"] == "service_completed_successfully"


def test_the_web_ui_decodes_through_the_codec_server_that_allows_its_origin() -> None:
    s = services()
    ui, codec = s["temporal-ui"], s["codec-server"]
    ui_port = ui["ports"][0].rsplit(":", 2)[-2]
    origin = f"http://localhost:{ui_port}"
    assert option_value(codec["command"], "--cors-origin") == origin == ui["environment"]["TEMPORAL_CORS_ORIGINS"]
    codec_port = option_value(codec["command"], "--bind").rsplit(":", 1)[1]
    assert codec["ports"] == [f"127.0.0.1:{codec_port}:{codec_port}"]
    assert ui["environment"]["TEMPORAL_CODEC_ENDPOINT"] == f"http://localhost:{codec_port}"
    # the keys: the same secret in the codec server and every worker
    assert all("codec_keys" in s[name]["secrets"] for name in IMAGE_SERVICES)


def test_our_services_run_commands_the_cli_accepts() -> None:
    s = services()
    for name in IMAGE_SERVICES:
        command = s[name]["command"]
        assert option_names(command[1:]) <= cli_options(command[0]), (name, command)
    assert option_value(s["worker"]["command"], "--metrics-bind") == "0.0.0.0:9464"
    # the healthcheck asks the worker's own health endpoint
    health = option_value(s["worker"]["command"], "--health-bind")
    assert f"http://{health}/healthz" in " ".join(s["worker"]["healthcheck"]["test"])
    assert s["worker"]["deploy"]["replicas"] == "${EKSA_WORKERS:-2}"
    grace = re.fullmatch(r"(\d+)s", s["worker"]["stop_grace_period"])
    assert grace, s["worker"]["stop_grace_period"]
    assert timedelta(seconds=int(grace[1])) > timedelta(seconds=Timeouts().heartbeat_seconds) + GRACEFUL_SHUTDOWN
    # the controller and the workers see the clusters' folders at the same path
    workdir = option_value(s["controller"]["command"], "--workdir")
    for name in ("worker", "controller"):
        assert f"clusters:{workdir}" in s[name]["volumes"], name


def test_no_secret_value_is_written_in_the_file() -> None:
    text = COMPOSE.read_text()
    for key, value in re.findall(r"^\s*([A-Z_]*(?:PASSWORD|PWD|TOKEN|API_KEY|SECRET)[A-Z_]*):\s*(.+)$", text, re.M):
        assert value.strip().startswith("${") and ":?" in value, f"{key} must come from the environment"
    # ${VAR:-default} -> default
    images = [re.sub(r"^\$\{\w+:-(.*)\}$", r"\1", svc.get("image", "")) for svc in services().values()]
    assert all(re.search(r":[\w.-]+$", i) and not i.endswith(":latest") for i in images if i), images
