"""A proxy password in the spec reaches the machines' bootstrap configuration but never the
workflow history; and a create leaves its output folder and the sim's state owner-only.

The client takes the password out of the spec before starting the workflow (a placeholder
in the URL, the password in ``<c>/generated/<c>.proxy-credentials``, 0600); the provision
activity puts it back just before rendering the CAPI objects."""

from __future__ import annotations

import secrets
import stat
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client as k8s
from kubernetes import config as k8s_config

from eksa_temporal.activities.diagnostics import scrub
from eksa_temporal.client import LifecycleError, operation_input
from eksa_temporal.providers.proxy import HTTP_PROXY_FILE
from eksa_temporal.spec import generate_cluster_config
from eksa_temporal.spec.proxy import PLACEHOLDER, credentials_path
from eksa_temporal.workflows.models import CreateClusterInput, CreateClusterResult, Timeouts
from tests.support.histories import decoded_history

from .conftest import Stack

pytestmark = pytest.mark.anyio
E2E = Timeouts(step_seconds=60, long_step_seconds=120, heartbeat_seconds=15, initial_retry_seconds=0.2, max_retry_seconds=1, max_attempts=3)


def proxy_spec(name: str, password: str) -> str:
    text = generate_cluster_config(name, "sim")
    proxy = (
        "  proxyConfiguration:\n"
        f"    httpProxy: http://proxyuser:{password}@10.0.0.1:3128\n"
        f"    httpsProxy: 'http://proxyuser:{password}@10.0.0.1:3129'\n"
        "    noProxy:\n    - 10.10.0.0/16\n"
    )
    return text.replace("  managementCluster:\n", proxy + "  managementCluster:\n", 1)


def private_tree_problems(root: Path, *, skip: tuple[str, ...] = ()) -> list[str]:
    """Every file not 0600-or-stricter and folder not 0700 under ``root`` (``root`` included)."""
    problems = []
    for path in [root, *root.rglob("*")]:
        if path.name in skip or path.is_symlink():
            continue
        mode = stat.S_IMODE(path.stat().st_mode)
        if path.is_dir() and mode != 0o700:
            problems.append(f"{path} is {oct(mode)} (want 0o700)")
        elif path.is_file() and mode & 0o077:
            problems.append(f"{path} is {oct(mode)} (want 0o600)")
    return problems


def _kubeadm_objects(kubeconfig: str) -> list[dict[str, Any]]:
    """The cluster's KubeadmControlPlanes and KubeadmConfigTemplates."""
    api = k8s.CustomObjectsApi(k8s_config.new_client_from_config(config_file=kubeconfig))  # type: ignore[no-untyped-call]
    kcps: Any = api.list_cluster_custom_object("controlplane.cluster.x-k8s.io", "v1beta1", "kubeadmcontrolplanes")
    kcts: Any = api.list_cluster_custom_object("bootstrap.cluster.x-k8s.io", "v1beta1", "kubeadmconfigtemplates")
    return list(kcps["items"]) + list(kcts["items"])


def _proxy_contents(objects: list[dict[str, Any]]) -> list[str]:
    found: list[str] = []
    specs = [o["spec"]["kubeadmConfigSpec"] if "kubeadmConfigSpec" in o["spec"] else o["spec"]["template"]["spec"] for o in objects]
    for s in specs:
        found += [f["content"] for f in s.get("files", []) if f["path"] == HTTP_PROXY_FILE]
    assert len(found) == len(specs) >= 2, "every kubeadm config carries the proxy drop-in"
    return found


async def test_proxy_password_reaches_the_machines_but_not_the_history(stack: Stack, tmp_path: Path) -> None:
    name = f"px{uuid.uuid4().hex[:6]}"
    password = "Pw-" + secrets.token_urlsafe(18)
    spec_file = tmp_path / f"{name}.yaml"
    spec_file.write_text(proxy_spec(name, password))
    workdir = Path(stack.workdir(name))

    inp, passwords = operation_input(CreateClusterInput, spec_file, workdir=workdir, timeouts=E2E)
    assert password not in inp.spec_yaml
    assert f"http://proxyuser:{PLACEHOLDER}@10.0.0.1:3128" in inp.spec_yaml
    assert passwords == {"httpProxy": password, "httpsProxy": password}
    creds = credentials_path(workdir, name)
    assert not creds.exists()  # written once the operation has started

    ref = await stack.lc.start_create(inp, passwords)
    assert stat.S_IMODE(creds.stat().st_mode) == 0o600 and password in creds.read_text()
    result = await stack.lc.wait(ref.workflow_id)
    assert isinstance(result, CreateClusterResult)

    # the rendered objects (moved into the new management cluster) carry the working URLs
    objects = _kubeadm_objects(result.kubeconfig_path)
    for content in _proxy_contents(objects):
        assert f'HTTP_PROXY=http://proxyuser:{password}@10.0.0.1:3128"' in content
        assert f'HTTPS_PROXY=http://proxyuser:{password}@10.0.0.1:3129"' in content
        assert "10.10.0.0/16" in content and PLACEHOLDER not in content
    # a support bundle shows those objects without the password
    for obj in objects:
        shared = yaml.safe_dump(scrub(obj))
        assert password not in shared and "proxyuser:<redacted>@10.0.0.1:3128" in shared

    # the history, every payload decoded, holds the placeholder and never the password
    history = await decoded_history(stack.client, ref.workflow_id)
    assert PLACEHOLDER in history.text
    assert history.where(password) == []

    # the output folder and the sim's state are owner-only (server.log: the test's own log)
    assert private_tree_problems(workdir) == []
    assert private_tree_problems(stack.sim.state_dir, skip=("server.log",)) == []


async def test_a_spec_still_holding_a_proxy_password_is_refused(stack: Stack) -> None:
    name = f"px{uuid.uuid4().hex[:6]}"
    inp = CreateClusterInput(spec_yaml=proxy_spec(name, "Pw-" + secrets.token_urlsafe(18)), workdir=stack.workdir(name))
    with pytest.raises(LifecycleError, match="proxy password"):
        await stack.lc.start_create(inp)
