"""``install-capi-components-bootstrap`` / ``-workload``: the equivalent of ``clusterctl
init`` on the bootstrap cluster or on the new cluster.

Order as clusterctl: the inventory CRD (``providers.clusterctl.cluster.x-k8s.io``), then
cert-manager (probed first, installed only when missing) and its readiness probe (a test
Issuer and Certificate in ``cert-manager-test`` must become Ready, as clusterctl checks),
core, kubeadm bootstrap, kubeadm control plane, the spec's infrastructure provider and the
addons the provider names (``Provider.components``: the Tinkerbell stack); on
the new (management) cluster also EKS Anywhere's own CRDs, as EKS-A installs them. Facts
first: a provider recorded in the inventory at the same version whose controllers are
Available is skipped (a second run makes no API writes). Otherwise its CRDs are
server-side applied and awaited (Established), then the rest, then every controller
Deployment is watched until Available, and the provider is recorded in the inventory.
Variables are substituted from the worker's environment and the provider's credentials
(``Provider.component_variables``, resolved here and never logged). Progress is
heartbeated after each provider; each file's sha256 is shown in the result.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from eksa_temporal.activities.common import (
    UsesComponents,
    heartbeat,
    load_spec,
    log,
    progress_interval,
    resume,
)
from eksa_temporal.activities.models import (
    InstallCapiInput,
    InstallCapiProgress,
    InstallCapiResult,
    ProviderInstall,
)
from eksa_temporal.activities.steps import step
from eksa_temporal.errors import InvalidComponents, NotFound
from eksa_temporal.kube.client import Kube, condition_true, kube_for
from eksa_temporal.providers.capi.components import inventory_crd
from eksa_temporal.providers.capi.fetch import ComponentError, local_folder, provider_manifests
from eksa_temporal.providers.capi.release import ProviderRelease
from eksa_temporal.providers.registry import Registry

CRD_V1 = "apiextensions.k8s.io/v1"
INVENTORY_V1 = "clusterctl.cluster.x-k8s.io/v1alpha3"
INVENTORY_CRD = "providers.clusterctl.cluster.x-k8s.io"
CERT_MANAGER_PROBE_CRD = "certificates.cert-manager.io"
CRD_WAIT_SECONDS = 60.0
CERT_MANAGER_V1 = "cert-manager.io/v1"
PROBE_NAMESPACE = "cert-manager-test"


EKSA_TYPE = "EksaComponents"


def _probe_objects() -> list[dict[str, Any]]:
    """The objects of clusterctl's cert-manager readiness probe."""
    meta = {"namespace": PROBE_NAMESPACE}
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": PROBE_NAMESPACE}},
        {
            "apiVersion": CERT_MANAGER_V1,
            "kind": "Issuer",
            "metadata": {"name": "test-selfsigned", **meta},
            "spec": {"selfSigned": {}},
        },
        {
            "apiVersion": CERT_MANAGER_V1,
            "kind": "Certificate",
            "metadata": {"name": "selfsigned-cert", **meta},
            "spec": {
                "dnsNames": ["cert-manager-test.example.com"],
                "secretName": "selfsigned-cert-tls",
                "issuerRef": {"name": "test-selfsigned"},
            },
        },
    ]


def _kind(objs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [o for o in objs if o.get("kind") == kind]


class CapiInstaller:
    """Installs one release plan into one cluster (``Kube``); used by the activities and
    reusable by other steps (the delete flow installs CAPI on its bootstrap cluster)."""

    def __init__(
        self,
        kube: Kube,
        *,
        cache_dir: Path,
        components_dir: str | None,
        deployment_wait_seconds: float,
        progress: InstallCapiProgress,
        embedded: bool = False,
        values: dict[str, str] | None = None,
    ) -> None:
        self.kube = kube
        self.cache_dir = cache_dir
        self.components_dir = components_dir
        self.embedded = embedded
        self.values = values or {}
        self.deployment_wait = deployment_wait_seconds
        self.progress = progress

    def run(self, plan: list[ProviderRelease]) -> list[ProviderInstall]:
        self.ensure_inventory_crd()
        out: list[ProviderInstall] = []
        for release in plan:
            self.progress = self.progress.model_copy(update={"current": release.name})
            heartbeat(self.progress)
            out.append(self.install(release))
            done = (
                [*self.progress.done, release.name]
                if release.name not in self.progress.done
                else self.progress.done
            )
            self.progress = self.progress.model_copy(update={"done": done, "phase": "installed"})
            heartbeat(self.progress)
        return out

    # ---- facts -----------------------------------------------------------------------

    def ensure_inventory_crd(self) -> None:
        if self.kube.get(CRD_V1, "CustomResourceDefinition", INVENTORY_CRD) is None:
            self.kube.apply([inventory_crd()])
        self.wait_crd(INVENTORY_CRD)

    def recorded_version(self, release: ProviderRelease) -> str | None:
        inv = self.kube.get(INVENTORY_V1, "Provider", release.name, release.namespace)
        return None if inv is None else str(inv.get("version") or "")

    def deployments_available(self, deployments: list[dict[str, Any]]) -> bool:
        for dep in deployments:
            meta = dep["metadata"]
            live = self.kube.get("apps/v1", "Deployment", meta["name"], meta.get("namespace"))
            if not condition_true(live, "Available"):
                return False
        return True

    # ---- operations --------------------------------------------------------------------

    def install(self, release: ProviderRelease) -> ProviderInstall:
        try:
            fetched = provider_manifests(
                release,
                cache_dir=self.cache_dir,
                components_dir=self.components_dir,
                embedded=self.embedded,
                values=self.values,
            )
        except ComponentError as exc:
            raise InvalidComponents(
                str(exc), fix="fix the release bundle, the components folder or the variables"
            ) from exc
        docs = fetched.docs
        if release.type == EKSA_TYPE:
            docs = _kind(docs, "CustomResourceDefinition")  # EKS-A's CRDs, not its controller
        deployments = _kind(docs, "Deployment")
        if release.type == "CertManager" and not deployments:
            raise InvalidComponents(
                f"the cert-manager manifests from {fetched.origin} hold no controller "
                "Deployments (CRDs only), so nothing would issue the webhook certificates",
                fix=f"put cert-manager's published cert-manager.yaml ({release.version}) in that folder",
            )
        recorded = self.recorded_version(release)
        done = ProviderInstall(
            name=release.name,
            version=release.version,
            action="already-installed",
            source=fetched.origin,
            checksums=fetched.checksums,
        )
        if release.type == "CertManager":
            served = self.kube.get(CRD_V1, "CustomResourceDefinition", CERT_MANAGER_PROBE_CRD)
            if served is not None and self.deployments_available(deployments):
                log.info("cert-manager already installed; no-op", cluster=self.kube.label)
                return done
        elif release.type == EKSA_TYPE:
            if all(self.crd_established(c["metadata"]["name"]) for c in docs):
                log.info("EKS-A CRDs already installed; no-op", version=release.version)
                return done
        elif recorded == release.version and self.deployments_available(deployments):
            log.info(
                "provider already installed; no-op", provider=release.name, version=release.version
            )
            return done

        log.info(
            "installing provider",
            provider=release.name,
            version=release.version,
            source=fetched.origin,
            checksums=fetched.checksums,
        )
        crds = _kind(docs, "CustomResourceDefinition")
        first = _kind(docs, "Namespace") + crds
        rest = [d for d in docs if d.get("kind") not in ("Namespace", "CustomResourceDefinition")]
        self.kube.apply(first)
        for crd in crds:
            self.wait_crd(crd["metadata"]["name"])
        if rest:
            self.kube.apply(rest)
        for dep in deployments:
            self.wait_deployment(dep)
        if release.type == "CertManager":
            self.probe_cert_manager()
        self.record(release)
        action = "installed" if not recorded else "upgraded"
        return done.model_copy(update={"action": action})

    def crd_established(self, name: str) -> bool:
        return condition_true(self.kube.get(CRD_V1, "CustomResourceDefinition", name), "Established")

    def probe_cert_manager(self) -> None:
        """clusterctl's cert-manager readiness check: a self-signed Issuer and a Certificate in
        namespace ``cert-manager-test`` must become Ready (cert-manager's webhook and
        controllers answer); the test objects are removed afterwards."""
        self.progress = self.progress.model_copy(update={"phase": "cert-manager readiness probe"})
        heartbeat(self.progress)
        self.kube.apply(_probe_objects())
        self.kube.wait_for(
            CERT_MANAGER_V1,
            "Certificate",
            "selfsigned-cert",
            PROBE_NAMESPACE,
            lambda o: condition_true(o, "Ready"),
            timeout=self.deployment_wait,
            on_progress=lambda _o: heartbeat(self.progress),
            progress_interval=progress_interval(),
            description="cert-manager readiness probe: Certificate cert-manager-test/selfsigned-cert Ready",
        )
        self.kube.delete("v1", "Namespace", PROBE_NAMESPACE)

    def wait_crd(self, name: str) -> None:
        self.kube.wait_for(
            CRD_V1,
            "CustomResourceDefinition",
            name,
            None,
            lambda o: condition_true(o, "Established"),
            timeout=CRD_WAIT_SECONDS,
            description=f"CRD {name} Established",
        )

    def wait_deployment(self, dep: dict[str, Any]) -> None:
        meta = dep["metadata"]
        phase = f"waiting for Deployment {meta.get('namespace')}/{meta['name']} Available"
        self.progress = self.progress.model_copy(update={"phase": phase})
        self.kube.wait_for(
            "apps/v1",
            "Deployment",
            meta["name"],
            meta.get("namespace"),
            lambda o: condition_true(o, "Available"),
            timeout=self.deployment_wait,
            on_progress=lambda _o: heartbeat(self.progress),
            progress_interval=progress_interval(),
            description=phase,
        )

    def record(self, release: ProviderRelease) -> None:
        """The clusterctl inventory entry (``Provider``) of an installed provider."""
        if release.type in ("CertManager", EKSA_TYPE):
            return  # clusterctl tracks cert-manager by its own version annotation; EKS-A is no provider
        self.kube.apply(
            [
                {
                    "apiVersion": INVENTORY_V1,
                    "kind": "Provider",
                    "metadata": {
                        "name": release.name,
                        "namespace": release.namespace,
                        "labels": {
                            "clusterctl.cluster.x-k8s.io": "",
                            "cluster.x-k8s.io/provider": release.name,
                        },
                    },
                    "providerName": release.provider_name,
                    "type": release.type,
                    "version": release.version,
                }
            ]
        )


class CapiInstallActivities(UsesComponents):
    """The two install steps; holds the provider registry and the components
    (``UsesComponents``)."""

    def __init__(self, registry: Registry, **components: Any) -> None:
        super().__init__(**components)
        self.registry = registry

    @step(
        "install-capi-components-bootstrap",
        long=True,
        changes="installs the Cluster API components in the bootstrap cluster",
        errors=(InvalidComponents, NotFound),
    )
    def install_capi_components_bootstrap(self, inp: InstallCapiInput) -> InstallCapiResult:
        """clusterctl init on the bootstrap cluster."""
        target = inp.bootstrap_kubeconfig or str(inp.bootstrap_kubeconfig_path)
        return self.install(inp, target)

    @step(
        "install-capi-components-workload",
        long=True,
        changes="installs the Cluster API components in the new cluster",
        errors=(InvalidComponents, NotFound),
    )
    def install_capi_components_workload(self, inp: InstallCapiInput) -> InstallCapiResult:
        """clusterctl init on the new (to become self-managed) cluster."""
        target = inp.kubeconfig or str(inp.kubeconfig_path)
        return self.install(inp, target, management=True)

    def install(
        self, inp: InstallCapiInput, target: str, *, management: bool = False
    ) -> InstallCapiResult:
        if not Path(target).exists():
            raise NotFound(
                f"kubeconfig {target} does not exist",
                fix="run the step that creates the cluster first",
            )
        provider = self.registry.provider(inp.provider)
        infra = provider.infrastructure_component()
        spec = load_spec(inp) if inp.spec_yaml else None
        addons = [c.name for c in provider.components(spec) if c.name != infra.name]
        try:
            plan = self.release.plan(infra.name, addons)
        except KeyError as exc:
            raise InvalidComponents(
                str(exc), fix="add the provider to the release manifest"
            ) from exc
        progress = resume(InstallCapiProgress) or InstallCapiProgress()
        if progress.done:
            log.info("resuming install-capi", done=progress.done)
        installer = CapiInstaller(
            kube_for(target),
            cache_dir=self.cache_dir,
            components_dir=self.source.folder(inp.components_dir),
            deployment_wait_seconds=inp.deployment_wait_seconds,
            progress=progress,
            embedded=self.source.embedded_for(infra.name),
            values=provider.component_variables(spec),
        )
        eksa = self.release.eksa
        if management and eksa is not None:
            local = local_folder(installer.components_dir, eksa)
            if installer.embedded and not eksa.embedded and local is None:
                # the zero-download stand-ins ship no EKS-A CRDs: nothing to fetch offline
                log.info("EKS-A CRDs are not part of the embedded components; not installed")
            else:
                plan = [*plan, eksa]
        installed = installer.run(plan)
        changed = any(p.action != "already-installed" for p in installed)
        if not changed:
            log.info("install-capi: every provider already installed; no-op", target=target)
        return InstallCapiResult(
            changed=changed,
            target_kubeconfig=target,
            providers=installed,
            message=", ".join(f"{p.name} {p.version} {p.action}" for p in installed),
        )
