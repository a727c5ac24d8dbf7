"""The Tinkerbell components as ``install-capi-components`` installs them: CAPT and the
Tinkerbell stack (tink and Rufio, as published) from the upstream folders used as a
clusterctl local repository (the stack's flat folder), into a simulated cluster: every
controller Available, the Hardware and BMC CRDs served, and a second run changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from eksa_temporal.activities.capi_install import CapiInstaller
from eksa_temporal.activities.models import InstallCapiProgress
from eksa_temporal.kube.client import condition_true, kube_for
from eksa_temporal.providers.capi.release import DEFAULT_RELEASE
from eksa_temporal.providers.tinkerbell.provider import TinkerbellProvider
from tests.providers.tinkerbell.test_hardware import tinkerbell_spec
from tests.support.sim import SimServer

pytestmark = pytest.mark.timeout(300)


def test_capt_and_the_stack_install_once_from_the_local_repository(
    sim_server: SimServer, upstream_components: Path, tmp_path: Path
) -> None:
    sim_server.client.set_knobs(deployment_ready_seconds=0.0)
    kube = kube_for(str(sim_server.kubeconfig("boot")))
    provider = TinkerbellProvider(env={})
    infra, *addons = provider.components(None)
    plan = DEFAULT_RELEASE.plan(infra.name, [a.name for a in addons])

    def installer() -> CapiInstaller:
        return CapiInstaller(
            kube,
            cache_dir=tmp_path / "cache",
            components_dir=str(upstream_components),
            deployment_wait_seconds=60,
            progress=InstallCapiProgress(),
            values=provider.component_variables(tinkerbell_spec()),
        )

    installed = installer().run(plan)
    assert [p.name for p in installed][-2:] == ["infrastructure-tinkerbell", "tinkerbell-stack"]
    stack = installed[-1]
    assert stack.source.endswith("tinkerbell-stack") and len(stack.checksums) == 2
    for name, namespace in (
        ("capt-controller-manager", "capt-system"),
        ("tink-controller-manager", "tink-system"),
        ("rufio-controller-manager", "rufio-system"),
    ):
        dep = kube.get("apps/v1", "Deployment", name, namespace)
        assert condition_true(dep, "Available"), name
    assert kube.serves("tinkerbell.org/v1alpha1", "Hardware")
    assert kube.serves("bmc.tinkerbell.org/v1alpha1", "Machine")
    capt = kube.get("apps/v1", "Deployment", "capt-controller-manager", "capt-system")
    env = capt["spec"]["template"]["spec"]["containers"][0].get("env") or []  # type: ignore[index]
    assert {"name": "TINKERBELL_IP", "value": "192.168.0.5"} in env

    again = installer().run(plan)
    assert {p.action for p in again} == {"already-installed"}
