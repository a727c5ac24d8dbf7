"""``setup-validate`` (management create), ``setup-validate-create`` (workload create),
``setup-validate-upgrade`` and ``setup-validate-delete``: every check before any side effect.

Order: the spec (load + EKS-A's static rules -> ``InvalidSpec``), the provider's
credentials (``BadCredentials``), for a create the existence check, then the provider's
preflight (``PreflightFailed``); then per operation. A create refuses a cluster that
already exists (``ClusterExists``, one line naming where it was found and what to do):
``activities.existing`` asks the infrastructure, the management cluster, the bootstrap
cluster and the output folder, and accepts what this very workflow run made (its owner
identity; an ownership marker ``<c>/generated/<c>.owner`` records the run that passed
validation), so the step re-run after a crash accepts its own output. Upgrade applies
``upgrade_rules`` against the RUNNING cluster (its EKS-A objects, else its CAPI objects;
the written config only as a last fallback, with a warning). Nothing here changes
infrastructure; the marker is written only once every check passed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from eksa_temporal.activities.common import (
    CAPI_V1,
    EKSA_SYSTEM,
    UsesComponents,
    claim,
    current_run,
    findings_error,
    load_spec,
    log,
)
from eksa_temporal.activities.existing import find_existing_cluster
from eksa_temporal.activities.models import ValidateInput, ValidateResult
from eksa_temporal.activities.ownership import current_owner
from eksa_temporal.activities.steps import step
from eksa_temporal.activities.upgrade_rules import (
    IMMUTABLE,
    Baseline,
    baseline_from_capi,
    baseline_of_spec,
    upgrade_findings,
)
from eksa_temporal.errors import (
    BadCredentials,
    ClusterExists,
    ImmutableFieldChanged,
    InvalidSpec,
    NotFound,
    PermanentError,
    PreflightFailed,
    UnsupportedUpgrade,
)
from eksa_temporal.kube.client import Kube, Obj, kube_for
from eksa_temporal.providers.base import PreflightOptions, Provider
from eksa_temporal.providers.capi.compat import format_findings
from eksa_temporal.providers.registry import Registry, UnknownProvider
from eksa_temporal.spec import ClusterSpec, Finding, check_spec_text
from eksa_temporal.spec.digest import DIGEST_ANNOTATION, spec_digest


class ValidateActivities(UsesComponents):
    """The validate steps; the components the install step will use are read to check the
    spec against their CRDs (``UsesComponents``)."""

    def __init__(self, registry: Registry, **components: Any) -> None:
        super().__init__(**components)
        self.registry = registry

    def _provider(self, spec: ClusterSpec, inp: ValidateInput) -> Provider:
        try:
            return self.registry.provider(spec.provider or inp.provider)
        except UnknownProvider as exc:
            raise InvalidSpec(str(exc), fix="use a supported datacenterRef kind") from exc

    def _common(
        self,
        inp: ValidateInput,
        *,
        skip_ip_check: bool,
        before_preflight: Callable[[ClusterSpec, Provider], str] | None = None,
    ) -> tuple[ClusterSpec, list[str], list[str]]:
        """Spec, credentials, ``before_preflight`` (returns the name of the check it
        passed), preflight; returns the spec, passed check names, warnings."""
        spec = load_spec(inp)
        _, findings = check_spec_text(inp.spec_yaml)
        warnings = [f.line() for f in findings if not f.is_error]
        passed = ["spec"]
        provider = self._provider(spec, inp)
        creds = provider.validate_credentials(spec)
        self._raise_on(creds, BadCredentials, "credentials check failed")
        warnings += [f.line() for f in creds if not f.is_error]
        passed.append("credentials")
        accepted = format_findings(
            spec,
            provider,
            release=self.release,
            source=self.source,
            cache_dir=self.cache_dir,
            components_dir=inp.components_dir,
        )
        self._raise_on(accepted, PreflightFailed, "the Cluster API components refuse the spec")
        warnings += [f.line() for f in accepted if not f.is_error]
        passed.append("components")
        if before_preflight is not None:
            passed.append(before_preflight(spec, provider))
        pre = provider.preflight(spec, PreflightOptions(skip_ip_check=skip_ip_check))
        self._raise_on(pre, PreflightFailed, "preflight checks failed")
        warnings += [f.line() for f in pre if not f.is_error]
        passed.append("preflight")
        return spec, passed, warnings

    @staticmethod
    def _raise_on(findings: list[Finding], error: type[PermanentError], what: str) -> None:
        errors = [f for f in findings if f.is_error]
        if errors:
            raise findings_error(errors, error, what)

    def _refuser(self, inp: ValidateInput) -> Callable[[ClusterSpec, Provider], str]:
        """The existence check of a create: ``ClusterExists`` unless the cluster is nowhere
        but in what this workflow run made."""

        def refuse_existing(spec: ClusterSpec, provider: Provider) -> str:
            owner = current_owner()
            found = find_existing_cluster(
                self.registry,
                provider,
                spec,
                inp,
                workflow_id=owner.workflow_id if owner else current_run()["workflow_id"],
                owner=owner,
            )
            if found is not None:
                line = found.line(spec.namespace or inp.namespace, inp.cluster_name)
                log.warning(
                    "create refused: the cluster exists",
                    cluster=inp.cluster_name,
                    where=found.where,
                )
                raise ClusterExists(line)
            return "not-exists"

        return refuse_existing

    @step("setup-validate", errors=(InvalidSpec, BadCredentials, ClusterExists, PreflightFailed))
    def setup_validate(self, inp: ValidateInput) -> ValidateResult:
        """Validate a management (self-managed) cluster create; the result names the
        provider's step hooks (``hooks``), the steps this create adds for them."""
        spec, passed, warnings = self._common(
            inp, skip_ip_check=inp.skip_ip_check, before_preflight=self._refuser(inp)
        )
        claim(inp)
        hooks = sorted(self._provider(spec, inp).hooks())
        return ValidateResult(changed=False, passed=passed, warnings=warnings, hooks=hooks)

    @step(
        "setup-validate-create",
        errors=(InvalidSpec, NotFound, BadCredentials, ClusterExists, PreflightFailed),
    )
    def setup_validate_create(self, inp: ValidateInput) -> ValidateResult:
        """Validate a workload cluster create on an existing management cluster."""
        if not inp.management_kubeconfig or not Path(inp.management_kubeconfig).exists():
            raise NotFound(
                f"management kubeconfig {inp.management_kubeconfig or '(none)'} not found",
                fix="pass --kubeconfig <management cluster kubeconfig>",
            )
        _, passed, warnings = self._common(
            inp, skip_ip_check=inp.skip_ip_check, before_preflight=self._refuser(inp)
        )
        claim(inp)
        return ValidateResult(
            changed=False,
            passed=[*passed, "management-kubeconfig"],
            warnings=warnings,
        )

    @step(
        "setup-validate-upgrade",
        errors=(
            InvalidSpec,
            NotFound,
            BadCredentials,
            PreflightFailed,
            ImmutableFieldChanged,
            UnsupportedUpgrade,
        ),
    )
    def setup_validate_upgrade(self, inp: ValidateInput) -> ValidateResult:
        """Validate an upgrade: checks, then the upgrade rules against the RUNNING cluster
        (``_live_baseline``); the written ``<c>-eks-a-cluster.yaml`` only when the live
        cluster cannot say (with a warning)."""
        desired, passed, warnings = self._common(inp, skip_ip_check=True)
        current = self._live_baseline(inp)
        if current is None:
            current = self._local_baseline(inp)
            warnings.append(
                f"the running cluster {inp.cluster_name} was not found on its management cluster; "
                f"the upgrade is checked against {inp.cluster_config_path}, which may be out of date"
            )
            log.warning(
                "upgrade checked against the local cluster config", cluster=inp.cluster_name
            )
        problems = upgrade_findings(current, desired)
        running = current.spec or self._last_written_spec(inp)
        if running is not None:  # the provider's own limits (what EKS-A lets change)
            problems += self._provider(desired, inp).validate_upgrade(running, desired)
        immutable = [f for f in problems if f.check == IMMUTABLE]
        self._raise_on(immutable, ImmutableFieldChanged, "immutable fields changed")
        self._raise_on(problems, UnsupportedUpgrade, "unsupported upgrade")
        log.info(
            "upgrade validated",
            current=current.kubernetes_version,
            desired=desired.kubernetes_version,
            baseline=current.source,
        )
        return ValidateResult(changed=False, passed=[*passed, "upgrade-rules"], warnings=warnings)

    @staticmethod
    def _local_baseline(inp: ValidateInput) -> Baseline:
        current_path = inp.cluster_config_path
        if not current_path.exists():
            raise NotFound(
                f"cluster {inp.cluster_name} is not found on its management cluster and "
                f"{current_path} does not exist: its current spec is unknown",
                fix="pass --kubeconfig of the management cluster, or run upgrade from the folder "
                "holding <cluster>/<cluster>-eks-a-cluster.kubeconfig",
            )
        current, findings = check_spec_text(current_path.read_text(), source=str(current_path))
        if current is None:
            raise findings_error(
                [f for f in findings if f.is_error], InvalidSpec, f"{current_path} is invalid"
            )
        return baseline_of_spec(current, f"local file {current_path.name}")

    @staticmethod
    def _last_written_spec(inp: ValidateInput) -> ClusterSpec | None:
        """The spec the last completed create or upgrade wrote (``write-cluster-config``),
        when the live objects could not give one; None when absent or unreadable."""
        path = inp.cluster_config_path
        if not path.exists():
            return None
        spec, _ = check_spec_text(path.read_text(), source=str(path))
        return spec

    @staticmethod
    def _live_baseline(inp: ValidateInput) -> Baseline | None:
        """The running cluster as the upgrade rules see it, read where its objects live
        (the management cluster, or the cluster itself): its EKS-A objects when that
        cluster holds them, else reconstructed from the CAPI Cluster and its control plane.
        None when no kubeconfig exists or the Cluster is not there. API failures raise
        (retried): a guess is no baseline."""
        target = inp.management_kubeconfig or inp.kubeconfig or str(inp.kubeconfig_path)
        if not Path(target).exists():
            return None
        kube = kube_for(target)
        if kube.serves(EKSA_V1, "Cluster"):
            cluster = kube.get(EKSA_V1, "Cluster", inp.cluster_name, inp.namespace)
            if cluster is not None:
                live = _eksa_objects(kube, cluster, inp.namespace)
                spec, _ = check_spec_text(yaml.safe_dump_all(live), source="live EKS-A objects")
                # the objects say what runs only as an operation wrote them (their digest
                # annotation still matches their content); objects a user applied or edited
                # since are the desired state, never the baseline
                written = ((cluster.get("metadata") or {}).get("annotations") or {}).get(DIGEST_ANNOTATION)
                if spec is not None and written == spec_digest(spec):
                    return baseline_of_spec(spec, "live EKS-A objects")
        if not kube.serves(CAPI_V1, "Cluster"):
            return None
        for ns in dict.fromkeys([EKSA_SYSTEM, inp.namespace]):
            cluster = kube.get(CAPI_V1, "Cluster", inp.cluster_name, ns)
            if cluster is None:
                continue
            ref = (cluster.get("spec") or {}).get("controlPlaneRef")
            cp = kube.get(ref["apiVersion"], ref["kind"], ref["name"], ns) if ref else None
            return baseline_from_capi(cluster, cp)
        return None

    @step("setup-validate-delete", errors=(InvalidSpec, NotFound, BadCredentials))
    def setup_validate_delete(self, inp: ValidateInput) -> ValidateResult:
        """Validate a delete: spec and credentials (the cluster may already be half gone)."""
        spec = load_spec(inp)
        creds = self._provider(spec, inp).validate_credentials(spec)
        self._raise_on(creds, BadCredentials, "credentials check failed")
        if not spec.is_self_managed and not inp.management_kubeconfig:
            raise NotFound(
                f"{inp.cluster_name} is a workload cluster; its management cluster is needed",
                fix="pass --kubeconfig <management cluster kubeconfig>",
            )
        return ValidateResult(changed=False, passed=["spec", "credentials"])


EKSA_V1 = "anywhere.eks.amazonaws.com/v1alpha1"


def _eksa_objects(kube: Kube, cluster: Obj, namespace: str) -> list[Obj]:
    """The EKS-A ``cluster`` and the datacenter and machine configs it references, as spec
    documents (no status, no server fields)."""
    spec = cluster.get("spec") or {}
    refs = [spec.get("datacenterRef") or {}]
    refs.append((spec.get("controlPlaneConfiguration") or {}).get("machineGroupRef") or {})
    refs.append((spec.get("externalEtcdConfiguration") or {}).get("machineGroupRef") or {})
    refs += [
        (w or {}).get("machineGroupRef") or {}
        for w in spec.get("workerNodeGroupConfigurations") or []
    ]
    docs = [cluster]
    seen: set[tuple[str, str]] = set()
    for ref in refs:
        key = (str(ref.get("kind") or ""), str(ref.get("name") or ""))
        if not all(key) or key in seen or not kube.serves(EKSA_V1, key[0]):
            continue
        seen.add(key)
        obj = kube.get(EKSA_V1, key[0], key[1], namespace)
        if obj is not None:
            docs.append(obj)
    return [_as_spec_doc(o) for o in docs]


def _as_spec_doc(obj: Obj) -> Obj:
    meta = obj.get("metadata") or {}
    kept = {k: meta[k] for k in ("name", "namespace") if k in meta}
    return {
        "apiVersion": obj.get("apiVersion"),
        "kind": obj.get("kind"),
        "metadata": kept,
        "spec": obj.get("spec") or {},
    }
