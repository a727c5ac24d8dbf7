"""Resource types served by the API emulator: the built-in kinds every virtual cluster
has and the kinds a ``CustomResourceDefinition`` registers.

The store and the HTTP layer address objects by ``ResourceType`` (group, kind, plural,
scope, status subresource); discovery documents are derived from the same table. Called by
``apiserver.store`` (registration when a CRD is written) and ``apiserver.discovery``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Obj = dict[str, Any]

_COMMON_TOP = frozenset({"apiVersion", "kind", "metadata"})


@dataclass(frozen=True)
class ResourceType:
    """One served resource (all its served versions share one storage)."""

    group: str
    versions: tuple[str, ...]
    kind: str
    plural: str
    namespaced: bool
    status: bool = False
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    top_fields: frozenset[str] | None = None  # known top-level fields (strict validation)
    builtin: bool = True
    # additionalPrinterColumns per served version (CRDs); not part of equality or hashing
    printer_columns: dict[str, tuple[Obj, ...]] = field(default_factory=dict, compare=False, hash=False)
    # openAPIV3Schema per served version (CRDs); not part of equality or hashing
    schemas: dict[str, Obj] = field(default_factory=dict, compare=False, hash=False)

    def schema_for(self, api_version: str) -> Obj | None:
        return self.schemas.get(api_version.rpartition("/")[2]) or self.schemas.get(self.preferred)

    @property
    def gk(self) -> tuple[str, str]:
        return (self.group, self.kind)

    @property
    def singular(self) -> str:
        return self.kind.lower()

    @property
    def list_kind(self) -> str:
        return self.kind + "List"

    @property
    def preferred(self) -> str:
        return self.versions[0]

    def api_version(self, version: str | None = None) -> str:
        v = version or self.preferred
        return f"{self.group}/{v}" if self.group else v

    def verbs(self) -> list[str]:
        return ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]


def _t(group: str, version: str, kind: str, plural: str, namespaced: bool, *, status: bool = False,
       short: tuple[str, ...] = (), top: tuple[str, ...] = ("spec", "status"),
       categories: tuple[str, ...] = ()) -> ResourceType:
    return ResourceType(group, (version,), kind, plural, namespaced, status, short, categories,
                        _COMMON_TOP | frozenset(top))


BUILTIN: tuple[ResourceType, ...] = (
    _t("", "v1", "Namespace", "namespaces", False, status=True, short=("ns",)),
    _t("", "v1", "Secret", "secrets", True, top=("data", "stringData", "type", "immutable")),
    _t("", "v1", "ConfigMap", "configmaps", True, short=("cm",), top=("data", "binaryData", "immutable")),
    _t("", "v1", "ServiceAccount", "serviceaccounts", True, short=("sa",),
       top=("secrets", "imagePullSecrets", "automountServiceAccountToken")),
    _t("", "v1", "Node", "nodes", False, status=True, short=("no",)),
    _t("", "v1", "Event", "events", True, short=("ev",),
       top=("involvedObject", "reason", "message", "source", "firstTimestamp", "lastTimestamp",
            "count", "type", "eventTime", "series", "action", "related", "reportingComponent",
            "reportingInstance")),
    _t("", "v1", "Pod", "pods", True, status=True, short=("po",), categories=("all",)),
    _t("", "v1", "Service", "services", True, status=True, short=("svc",), categories=("all",)),
    _t("", "v1", "Endpoints", "endpoints", True, short=("ep",), top=("subsets",)),
    _t("apps", "v1", "Deployment", "deployments", True, status=True, short=("deploy",),
       categories=("all",)),
    _t("apps", "v1", "DaemonSet", "daemonsets", True, status=True, short=("ds",), categories=("all",)),
    _t("apps", "v1", "StatefulSet", "statefulsets", True, status=True, short=("sts",),
       categories=("all",)),
    _t("apps", "v1", "ReplicaSet", "replicasets", True, status=True, short=("rs",), categories=("all",)),
    _t("coordination.k8s.io", "v1", "Lease", "leases", True),
    _t("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", False,
       top=("rules", "aggregationRule")),
    _t("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", False,
       top=("subjects", "roleRef")),
    _t("rbac.authorization.k8s.io", "v1", "Role", "roles", True, top=("rules",)),
    _t("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", True, top=("subjects", "roleRef")),
    _t("admissionregistration.k8s.io", "v1", "MutatingWebhookConfiguration",
       "mutatingwebhookconfigurations", False, top=("webhooks",)),
    _t("admissionregistration.k8s.io", "v1", "ValidatingWebhookConfiguration",
       "validatingwebhookconfigurations", False, top=("webhooks",)),
    _t("apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions", False,
       status=True, short=("crd", "crds")),
)

CRD_TYPE = BUILTIN[-1]
NAMESPACE_TYPE = BUILTIN[0]
BUILTIN_BY_GK: dict[tuple[str, str], ResourceType] = {t.gk: t for t in BUILTIN}


def split_api_version(api_version: str) -> tuple[str, str]:
    """``apps/v1`` -> (``apps``, ``v1``); ``v1`` -> (``""``, ``v1``)."""
    group, _, version = api_version.rpartition("/")
    return group, version


def from_crd(crd: Obj) -> ResourceType:
    """The resource type a CustomResourceDefinition (apiextensions.k8s.io/v1) declares."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    served = [v for v in spec.get("versions") or [] if v.get("served", True)]
    # storage version first (it is the preferred one in discovery)
    served.sort(key=lambda v: (not v.get("storage", False)))
    versions = tuple(str(v["name"]) for v in served) or ("v1",)
    status = any("status" in (v.get("subresources") or {}) for v in served)
    top: frozenset[str] | None = None
    if served:
        schema = ((served[0].get("schema") or {}).get("openAPIV3Schema") or {})
        props = schema.get("properties")
        if isinstance(props, dict) and not schema.get("x-kubernetes-preserve-unknown-fields"):
            top = _COMMON_TOP | frozenset(props)
    return ResourceType(
        group=str(spec.get("group", "")),
        versions=versions,
        kind=str(names.get("kind", "")),
        plural=str(names.get("plural", "")),
        namespaced=spec.get("scope", "Namespaced") == "Namespaced",
        status=status,
        short_names=tuple(names.get("shortNames") or ()),
        categories=tuple(names.get("categories") or ()),
        top_fields=top,
        builtin=False,
        printer_columns={str(v["name"]): tuple(v.get("additionalPrinterColumns") or ()) for v in served},
        schemas={str(v["name"]): (v.get("schema") or {}).get("openAPIV3Schema") or {} for v in served
                 if isinstance((v.get("schema") or {}).get("openAPIV3Schema"), dict)},
    )


def crd_status(crd: Obj, now: str) -> Obj:
    """The status the emulator gives an accepted CRD: NamesAccepted and Established."""
    spec = crd.get("spec") or {}
    stored = [v["name"] for v in spec.get("versions") or [] if v.get("storage")]
    conds = [
        {"type": t, "status": "True", "reason": r, "message": m, "lastTransitionTime": now}
        for t, r, m in (
            ("NamesAccepted", "NoConflicts", "no conflicts found"),
            ("Established", "InitialNamesAccepted", "the initial names have been accepted"),
        )
    ]
    return {"conditions": conds, "acceptedNames": dict(spec.get("names") or {}), "storedVersions": stored}
