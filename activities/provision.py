"""``workload-cluster-init``, ``create-workload-cluster`` and ``upgrade-cluster``: render the
cluster's CAPI objects (``Provider.render_capi_objects``), server-side apply them on the
cluster that manages it, and watch until the cluster is up (or rolled out).

Phases, each with its own deadline and heartbeated as ``ProvisionProgress``:
``apply`` -> ``control-plane`` (KubeadmControlPlane ready at the desired version,
``control_plane_wait_seconds``) -> ``workers`` (every Machine has a node, is Ready and runs
the desired version; ``per_machine_wait_seconds`` x machines) -> ``available`` (Cluster
Ready/Available). A retry re-validates the last heartbeat and skips the apply when it had
been done and the Cluster still exists. The new cluster's kubeconfig is written from the
``<c>-kubeconfig`` Secret when it is up.

Every object a create applies (namespaces included) carries the create run's owner identity
(``activities.ownership``: label + readable annotations); the simulated and vSphere
infrastructure copy the CAPI ``Cluster``'s label onto the machines and VMs made for it, and
cleanup removes only what carries it. An upgrade re-applies the owner the Cluster already
carries, so the cluster keeps the identity its create gave it.
"""

from __future__ import annotations

from eksa_temporal.activities.common import (
    CAPI_V1,
    KCP_V1,
    load_spec,
    log,
    progress_interval,
    resume,
)
from eksa_temporal.activities.infrastructure import heartbeat, watching
from eksa_temporal.activities.kubeconfig import write_cluster_kubeconfig
from eksa_temporal.activities.models import ProvisionInput, ProvisionProgress, ProvisionResult
from eksa_temporal.activities.ownership import (
    OWNER_LABEL,
    OWNER_RUN_ANNOTATION,
    OWNER_WORKFLOW_ANNOTATION,
    run_owner,
)
from eksa_temporal.activities.steps import step
from eksa_temporal.errors import InvalidComponents, InvalidSpec, NotFound, PreflightFailed
from eksa_temporal.kube.client import Kube, Obj, condition, condition_true, kube_for
from eksa_temporal.providers.base import RenderContext
from eksa_temporal.providers.registry import Registry
from eksa_temporal.spec import proxy

CLUSTER_LABEL = "cluster.x-k8s.io/cluster-name"


def machine_ready(m: Obj, versions: set[str]) -> bool:
    status = m.get("status") or {}
    if m["metadata"].get("deletionTimestamp") or not status.get("nodeRef"):
        return False
    if versions and (m.get("spec") or {}).get("version") not in versions:
        return False
    return condition_true(m, "Ready") or status.get("phase") == "Running"


def cluster_available(c: Obj | None) -> bool:
    if c is None:
        return False
    v2 = ((c.get("status") or {}).get("v1beta2") or {}).get("conditions") or []
    v2_available = any(x.get("type") == "Available" and x.get("status") == "True" for x in v2)
    return condition_true(c, "Ready") or condition_true(c, "Available") or v2_available


def kcp_ready(kcp: Obj | None) -> bool:
    if kcp is None:
        return False
    spec, status = kcp.get("spec") or {}, kcp.get("status") or {}
    want = int(spec.get("replicas") or 1)
    gen_seen = int(status.get("observedGeneration") or 0) >= int(
        kcp["metadata"].get("generation") or 0
    )
    return (
        gen_seen
        and int(status.get("readyReplicas") or 0) >= want
        and int(status.get("updatedReplicas", status.get("upToDateReplicas", want)) or 0) >= want
        and int(status.get("replicas") or 0) == want
        and (not spec.get("version") or status.get("version") in (None, spec.get("version")))
    )


def served_or_refuse(kube: Kube, objects: list[Obj]) -> None:
    """Before anything is made or applied: every kind the spec renders must be served by
    ``kube`` (the components installed there), else ``InvalidComponents`` naming them -
    e.g. external etcd's EtcdadmCluster without EKS-A's etcdadm providers."""
    kinds = {(o["apiVersion"], o["kind"]) for o in objects}  # one lookup per kind
    unserved = sorted(f"{kind} ({api})" for api, kind in kinds if not kube.serves(api, kind, fresh=True))
    if unserved:
        raise InvalidComponents(
            f"{kube.label} does not serve {', '.join(unserved)}, which the spec renders; nothing was applied",
            fix=(
                "install the Cluster API providers that serve them (release bundle, "
                "EKSA_COMPONENTS_SOURCE or --components-dir), or change the spec (external etcd "
                "needs EKS-A's etcdadm providers)"
            ),
        )


def stamped(objects: list[Obj], labels: dict[str, str], annotations: dict[str, str]) -> list[Obj]:
    """Copies of ``objects`` with ``labels`` and ``annotations`` added to their metadata."""
    if not labels and not annotations:
        return objects
    out = []
    for obj in objects:
        meta = dict(obj.get("metadata") or {})
        meta["labels"] = {**(meta.get("labels") or {}), **labels}
        meta["annotations"] = {**(meta.get("annotations") or {}), **annotations}
        out.append({**obj, "metadata": meta})
    return out


def owner_stamp(existing: Obj | None, *, upgrade: bool) -> tuple[dict[str, str], dict[str, str]]:
    """(labels, annotations) naming the owner: this run for a create, the owner the
    Cluster already carries for an upgrade (none when it carries none)."""
    if not upgrade:
        owner = run_owner()
        return owner.labels(), owner.annotations()
    meta = (existing or {}).get("metadata") or {}
    labels = {k: v for k, v in (meta.get("labels") or {}).items() if k == OWNER_LABEL}
    keys = (OWNER_WORKFLOW_ANNOTATION, OWNER_RUN_ANNOTATION)
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if k in keys}
    return labels, annotations


class Plan:
    """What the rendered objects promise: names, replica counts, versions."""

    def __init__(self, objects: list[Obj]) -> None:
        self.objects = objects
        clusters = [
            o
            for o in objects
            if o["kind"] == "Cluster" and o["apiVersion"].startswith("cluster.x-k8s.io/")
        ]
        if len(clusters) != 1:
            raise PreflightFailed(
                "the provider rendered no single CAPI Cluster", fix="report this provider bug"
            )
        self.cluster = clusters[0]
        self.name = self.cluster["metadata"]["name"]
        self.namespace = self.cluster["metadata"].get("namespace") or "default"
        kcps = [o for o in objects if o["kind"] == "KubeadmControlPlane"]
        self.kcp = kcps[0] if kcps else None
        self.cp_total = int((self.kcp or {}).get("spec", {}).get("replicas") or 0)
        mds = [o for o in objects if o["kind"] == "MachineDeployment"]
        self.workers = sum(int((md.get("spec") or {}).get("replicas") or 0) for md in mds)
        self.versions = {str(v) for v in [(self.kcp or {}).get("spec", {}).get("version")] if v}
        for md in mds:
            v = ((md.get("spec") or {}).get("template") or {}).get("spec", {}).get("version")
            if v:
                self.versions.add(str(v))

    @property
    def total(self) -> int:
        return self.cp_total + self.workers

    def namespaces(self) -> set[str]:
        return {o["metadata"]["namespace"] for o in self.objects if o["metadata"].get("namespace")}


class ProvisionActivities:
    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    @step(
        "workload-cluster-init",
        long=True,
        changes="applies the cluster's CAPI objects in the bootstrap cluster: machines are created",
        errors=(InvalidSpec, InvalidComponents, NotFound, PreflightFailed),
    )
    def workload_cluster_init(self, inp: ProvisionInput) -> ProvisionResult:
        """Apply the CAPI objects on the bootstrap cluster and wait until the cluster is up."""
        target = inp.bootstrap_kubeconfig or str(inp.bootstrap_kubeconfig_path)
        return self.provision(inp, target, upgrade=False)

    @step(
        "create-workload-cluster",
        long=True,
        changes="applies the cluster's CAPI objects in its management cluster: machines are created",
        errors=(InvalidSpec, InvalidComponents, NotFound, PreflightFailed),
    )
    def create_workload_cluster(self, inp: ProvisionInput) -> ProvisionResult:
        """Apply the CAPI objects on the management cluster and wait until the cluster is up."""
        if not inp.management_kubeconfig:
            raise NotFound(
                f"{inp.cluster_name} is a workload cluster but no management kubeconfig was given",
                fix="pass --kubeconfig <management cluster kubeconfig>",
            )
        return self.provision(inp, inp.management_kubeconfig, upgrade=False)

    @step(
        "upgrade-cluster",
        long=True,
        changes="applies the new CAPI objects: machines roll out",
        errors=(InvalidSpec, InvalidComponents, NotFound, PreflightFailed),
    )
    def upgrade_cluster(self, inp: ProvisionInput) -> ProvisionResult:
        """Apply the new CAPI objects where the cluster is managed and wait for the rollout."""
        target = inp.management_kubeconfig or inp.kubeconfig or str(inp.kubeconfig_path)
        return self.provision(inp, target, upgrade=True)

    # ---------------------------------------------------------------------------------

    def provision(self, inp: ProvisionInput, target: str, *, upgrade: bool) -> ProvisionResult:
        try:  # the proxy password comes from the cluster folder, never from the input
            spec = proxy.resolve(load_spec(inp), inp.dir)
        except proxy.ProxyCredentialsError as exc:
            raise InvalidSpec(str(exc)) from None
        provider = self.registry.provider(spec.provider or inp.provider)
        kube = kube_for(target)
        ctx = RenderContext()
        plan = Plan(provider.render_capi_objects(spec, ctx))
        progress = resume(ProvisionProgress) or ProvisionProgress()
        progress = progress.model_copy(
            update={"control_plane_total": plan.cp_total, "machines_total": plan.total}
        )
        existing = (
            kube.get(CAPI_V1, "Cluster", plan.name, plan.namespace)
            if kube.serves(CAPI_V1, "Cluster")
            else None
        )
        labels, annotations = owner_stamp(existing, upgrade=upgrade)
        plan.objects = stamped(plan.objects, labels, annotations)
        changed = False
        if progress.applied and existing is not None:
            log.info(
                "resuming provisioning after the apply", cluster=plan.name, phase=progress.phase
            )
        else:
            served_or_refuse(kube, plan.objects)
            created = provider.prepare_infrastructure(spec)
            if created:
                log.info("prepared infrastructure", created=created)
            for ns in sorted(plan.namespaces()):
                if kube.get("v1", "Namespace", ns) is None:
                    meta = {"name": ns, "labels": labels, "annotations": annotations}
                    kube.create({"apiVersion": "v1", "kind": "Namespace", "metadata": meta})
            # e.g. the bare-metal inventory, before the machines that claim it
            prepared = provider.prepare_managing_cluster(spec, target)
            if prepared:
                log.info("prepared the managing cluster", done=prepared)
            # the provider's Secrets: built here, values stay in the API call
            extra = stamped(provider.secret_objects(spec, ctx), labels, annotations)
            before = {self._rv(kube, o) for o in plan.objects} if existing is not None else set()
            applied = kube.apply(extra + plan.objects)
            after = {str(o["metadata"].get("resourceVersion")) for o in applied[len(extra) :]}
            changed = existing is None or before != after
            progress = progress.model_copy(update={"applied": True, "phase": "control-plane"})
            heartbeat(progress)
        with watching(provider, spec, target):  # a provider whose controller is the worker
            progress = self.wait_control_plane(kube, plan, progress, inp.control_plane_wait_seconds)
            progress = self.wait_machines(kube, plan, progress, inp.per_machine_wait_seconds)
            self.wait_available(kube, plan, progress, inp.per_machine_wait_seconds)
        written = write_cluster_kubeconfig(kube, plan.name, plan.namespace, inp.kubeconfig_path)
        if not changed and not upgrade:
            log.info("cluster already provisioned; no-op", cluster=plan.name)
        return ProvisionResult(
            changed=changed or written,
            kubeconfig_path=str(inp.kubeconfig_path),
            machines_ready=progress.machines_ready,
            machines_total=plan.total,
            message=f"{plan.name}: {progress.machines_ready}/{plan.total} machines ready",
        )

    @staticmethod
    def _rv(kube: Kube, o: Obj) -> str:
        live = kube.get(
            o["apiVersion"], o["kind"], o["metadata"]["name"], o["metadata"].get("namespace")
        )
        return str((live or {}).get("metadata", {}).get("resourceVersion"))


    def wait_control_plane(
        self, kube: Kube, plan: Plan, progress: ProvisionProgress, timeout: float
    ) -> ProvisionProgress:
        if plan.kcp is None:
            return progress
        state = {"p": progress.model_copy(update={"phase": "control-plane"})}

        def report(kcp: Obj | None) -> None:
            ready = int(((kcp or {}).get("status") or {}).get("readyReplicas") or 0)
            state["p"] = state["p"].model_copy(update={"control_plane_ready": ready})
            heartbeat(state["p"])

        kube.wait_for(
            KCP_V1,
            "KubeadmControlPlane",
            plan.kcp["metadata"]["name"],
            plan.namespace,
            kcp_ready,
            timeout=timeout,
            on_progress=report,
            progress_interval=progress_interval(),
            description=f"control plane of {plan.name} ({plan.cp_total} replicas)",
        )
        return state["p"].model_copy(update={"control_plane_ready": plan.cp_total})

    def wait_machines(
        self, kube: Kube, plan: Plan, progress: ProvisionProgress, per_machine: float
    ) -> ProvisionProgress:
        state = {"p": progress.model_copy(update={"phase": "workers"})}

        def ready_count(objs: dict[str, Obj]) -> int:
            return sum(1 for m in objs.values() if machine_ready(m, plan.versions))

        def done(objs: dict[str, Obj]) -> bool:
            return len(objs) == plan.total and ready_count(objs) == plan.total

        def report(objs: dict[str, Obj]) -> None:
            state["p"] = state["p"].model_copy(update={"machines_ready": ready_count(objs)})
            heartbeat(state["p"])

        kube.wait_for_all(
            CAPI_V1,
            "Machine",
            plan.namespace,
            done,
            label_selector=f"{CLUSTER_LABEL}={plan.name}",
            timeout=per_machine * max(1, plan.workers),
            on_progress=report,
            progress_interval=progress_interval(),
            description=f"{plan.total} machines of {plan.name} ready",
        )
        return state["p"].model_copy(update={"machines_ready": plan.total})

    def wait_available(
        self, kube: Kube, plan: Plan, progress: ProvisionProgress, timeout: float
    ) -> None:
        p = progress.model_copy(update={"phase": "available"})
        kube.wait_for(
            CAPI_V1,
            "Cluster",
            plan.name,
            plan.namespace,
            cluster_available,
            timeout=timeout,
            on_progress=lambda c: heartbeat(p),
            progress_interval=progress_interval(),
            description=f"Cluster {plan.name} Ready",
        )
        ready = condition(kube.get(CAPI_V1, "Cluster", plan.name, plan.namespace), "Ready")
        log.info("cluster available", cluster=plan.name, ready=(ready or {}).get("status"))
