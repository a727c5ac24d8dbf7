"""Server-side printers of the built-in kinds: the ``Table`` columns and cells
kube-apiserver produces for ``kubectl get`` (after ``pkg/printers/internalversion``).

As in kube-apiserver every column is generated (the server prints "wide"); kubectl hides
the ``priority > 0`` ones unless ``-o wide``. Ages are rendered here, like the real server
(``HumanDuration``); ``type: date`` cells (``Created At``) carry RFC 3339 timestamps.
Kinds without a printer get the default convertor's ``Name`` + ``Created At``.
Used by ``apiserver.tables``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

Obj = dict[str, Any]
Cells = list[Any]
Printer = tuple[list[Obj], Callable[[Obj], Cells]]

NAME_DOC = "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated."
AGE_DOC = "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC."
NONE = "<none>"


def col(name: str, description: str = "", type_: str = "string", priority: int = 0, fmt: str = "") -> Obj:
    """A ``TableColumnDefinition``."""
    return {"name": name, "type": type_, "format": fmt, "description": description or name, "priority": priority}


NAME_COL = col("Name", NAME_DOC, fmt="name")
AGE_COL = col("Age", AGE_DOC)
CREATED_COL = col("Created At", AGE_DOC, type_="date")


def parse_time(ts: Any) -> dt.datetime | None:
    if not isinstance(ts, str) or not ts or ts == "null":
        return None
    try:
        t = dt.datetime.fromisoformat(ts.replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)


def human_duration(seconds: float) -> str:
    """``k8s.io/apimachinery/pkg/util/duration.HumanDuration``."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        return f"{minutes}m{s % 60}s" if s % 60 else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = s // 3600
    if hours < 8:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        return f"{hours // 24}d{hours % 24}h" if hours % 24 else f"{hours // 24}d"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = (hours // 24) % 365
        return f"{hours // 24 // 365}y{days}d" if days else f"{hours // 24 // 365}y"
    return f"{hours // 24 // 365}y"


def since(ts: Any) -> str:
    """``translateTimestampSince``: the age of a timestamp, ``<unknown>`` when unset."""
    t = parse_time(ts)
    if t is None:
        return "<unknown>"
    return human_duration((dt.datetime.now(dt.UTC) - t).total_seconds())


def _meta(o: Obj) -> Obj:
    m = o.get("metadata")
    return m if isinstance(m, dict) else {}


def _get(o: Any, *path: str) -> Any:
    for p in path:
        o = o.get(p) if isinstance(o, dict) else None
    return o


def _int(v: Any) -> int:
    return v if isinstance(v, int) and not isinstance(v, bool) else 0


def _name(o: Obj) -> str:
    return str(_meta(o).get("name", ""))


def _age(o: Obj) -> str:
    return since(_meta(o).get("creationTimestamp"))


def created_at(o: Obj) -> str:
    t = parse_time(_meta(o).get("creationTimestamp"))
    return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if t else "0001-01-01T00:00:00Z"


def _selector(sel: Any) -> str:
    """``metav1.LabelSelectorAsSelector(...).String()`` (empty selector: everything)."""
    if not isinstance(sel, dict):
        return ""
    parts = [f"{k}={v}" for k, v in sorted((sel.get("matchLabels") or {}).items())]
    for e in sel.get("matchExpressions") or []:
        key, op, values = e.get("key", ""), e.get("operator", ""), sorted(e.get("values") or [])
        if op == "In":
            parts.append(f"{key} in ({','.join(values)})")
        elif op == "NotIn":
            parts.append(f"{key} notin ({','.join(values)})")
        elif op == "Exists":
            parts.append(key)
        elif op == "DoesNotExist":
            parts.append(f"!{key}")
    return ",".join(sorted(parts))


def _containers(o: Obj) -> list[str]:
    containers = _get(o, "spec", "template", "spec", "containers") or []
    return [",".join(str(c.get("name", "")) for c in containers),
            ",".join(str(c.get("image", "")) for c in containers)]


def _replicas(o: Obj) -> int:
    r = _get(o, "spec", "replicas")
    return 1 if r is None else _int(r)


# ---- core/v1 -----------------------------------------------------------------------------
def _namespace(o: Obj) -> Cells:
    return [_name(o), str(_get(o, "status", "phase") or ""), _age(o)]


def _secret(o: Obj) -> Cells:
    return [_name(o), str(o.get("type") or ""), len(o.get("data") or {}), _age(o)]


def _configmap(o: Obj) -> Cells:
    return [_name(o), len(o.get("data") or {}) + len(o.get("binaryData") or {}), _age(o)]


def _serviceaccount(o: Obj) -> Cells:
    return [_name(o), len(o.get("secrets") or []), _age(o)]


def node_roles(o: Obj) -> list[str]:
    roles: set[str] = set()
    for k, v in (_meta(o).get("labels") or {}).items():
        if k.startswith("node-role.kubernetes.io/") and k[len("node-role.kubernetes.io/"):]:
            roles.add(k[len("node-role.kubernetes.io/"):])
        elif k == "kubernetes.io/role" and v:
            roles.add(str(v))
    return sorted(roles)


def node_status(o: Obj) -> str:
    status = []
    for cond in _get(o, "status", "conditions") or []:
        if isinstance(cond, dict) and cond.get("type") == "Ready":
            status = ["Ready" if cond.get("status") == "True" else "NotReady"]
    if not status:
        status = ["Unknown"]
    if _get(o, "spec", "unschedulable") is True:
        status.append("SchedulingDisabled")
    return ",".join(status)


def _node(o: Obj) -> Cells:
    info = _get(o, "status", "nodeInfo") or {}
    addresses = _get(o, "status", "addresses") or []

    def address(kind: str) -> str:
        return next((str(a.get("address")) for a in addresses if a.get("type") == kind), NONE)

    return [_name(o), node_status(o), ",".join(node_roles(o)) or NONE, _age(o), str(info.get("kubeletVersion") or ""),
            address("InternalIP"), address("ExternalIP"), info.get("osImage") or "<unknown>",
            info.get("kernelVersion") or "<unknown>", info.get("containerRuntimeVersion") or "<unknown>"]


def _event(o: Obj) -> Cells:
    first = since(o.get("firstTimestamp")) if o.get("firstTimestamp") else since(o.get("eventTime"))
    last = since(o.get("lastTimestamp")) if o.get("lastTimestamp") else first
    count = _int(o.get("count"))
    series = o.get("series")
    if isinstance(series, dict):
        last, count = since(series.get("lastObservedTime")), _int(series.get("count"))
    elif count == 0:
        count = 1
    inv = o.get("involvedObject") or {}
    kind = str(inv.get("kind", "")).lower()
    target = f"{kind}/{inv['name']}" if inv.get("name") else kind
    src = o.get("source") or {}
    component = src.get("component") or o.get("reportingComponent") or ""
    instance = src.get("host") or o.get("reportingInstance") or ""
    source = f"{component}, {instance}" if instance else str(component)
    return [last, str(o.get("type") or ""), str(o.get("reason") or ""), target, str(inv.get("fieldPath") or ""),
            source, str(o.get("message") or "").strip(), first, count, _name(o)]


def _pod(o: Obj) -> Cells:
    statuses = _get(o, "status", "containerStatuses") or []
    total = len(_get(o, "spec", "containers") or []) or len(statuses)
    ready = sum(1 for s in statuses if s.get("ready") is True)
    restarts = sum(_int(s.get("restartCount")) for s in statuses)
    reason = str(_get(o, "status", "reason") or _get(o, "status", "phase") or "")
    if _meta(o).get("deletionTimestamp"):
        reason = "Terminating"
    gates = _get(o, "spec", "readinessGates") or []
    return [_name(o), f"{ready}/{total}", reason, str(restarts), _age(o), _get(o, "status", "podIP") or NONE,
            _get(o, "spec", "nodeName") or NONE, _get(o, "status", "nominatedNodeName") or NONE,
            f"0/{len(gates)}" if gates else NONE]


def _service(o: Obj) -> Cells:
    spec = o.get("spec") or {}
    stype = str(spec.get("type") or "ClusterIP")
    external = ",".join(spec.get("externalIPs") or [])
    if stype == "LoadBalancer":
        ingress = [i.get("ip") or i.get("hostname") for i in _get(o, "status", "loadBalancer", "ingress") or []]
        external = ",".join(x for x in [external, *ingress] if x) or "<pending>"
    elif stype == "ExternalName":
        external = str(spec.get("externalName") or "")
    ports = []
    for p in spec.get("ports") or []:
        node = f":{p['nodePort']}" if p.get("nodePort") else ""
        ports.append(f"{p.get('port')}{node}/{p.get('protocol', 'TCP')}")
    selector = ",".join(f"{k}={v}" for k, v in sorted((spec.get("selector") or {}).items()))
    return [_name(o), stype, spec.get("clusterIP") or NONE, external or NONE, ",".join(ports) or NONE,
            _age(o), selector or NONE]


def _endpoints(o: Obj) -> Cells:
    eps = []
    for subset in o.get("subsets") or []:
        for addr in subset.get("addresses") or []:
            for port in subset.get("ports") or [{}]:
                eps.append(f"{addr.get('ip')}:{port['port']}" if port.get("port") else str(addr.get("ip")))
    text = ",".join(eps[:3]) + (f" + {len(eps) - 3} more..." if len(eps) > 3 else "")
    return [_name(o), text or NONE, _age(o)]


# ---- apps/v1 -----------------------------------------------------------------------------
def _deployment(o: Obj) -> Cells:
    st = o.get("status") or {}
    return [_name(o), f"{_int(st.get('readyReplicas'))}/{_replicas(o)}", _int(st.get("updatedReplicas")),
            _int(st.get("availableReplicas")), _age(o), *_containers(o), _selector(_get(o, "spec", "selector"))]


def _replicaset(o: Obj) -> Cells:
    st = o.get("status") or {}
    return [_name(o), _replicas(o), _int(st.get("replicas")), _int(st.get("readyReplicas")), _age(o),
            *_containers(o), _selector(_get(o, "spec", "selector"))]


def _statefulset(o: Obj) -> Cells:
    return [_name(o), f"{_int(_get(o, 'status', 'readyReplicas'))}/{_replicas(o)}", _age(o), *_containers(o)]


def _daemonset(o: Obj) -> Cells:
    st = o.get("status") or {}
    node_sel = _get(o, "spec", "template", "spec", "nodeSelector") or {}
    return [_name(o), _int(st.get("desiredNumberScheduled")), _int(st.get("currentNumberScheduled")),
            _int(st.get("numberReady")), _int(st.get("updatedNumberScheduled")), _int(st.get("numberAvailable")),
            ",".join(f"{k}={v}" for k, v in sorted(node_sel.items())) or NONE, _age(o), *_containers(o),
            _selector(_get(o, "spec", "selector"))]


# ---- others ------------------------------------------------------------------------------
def _binding(o: Obj) -> Cells:
    ref = o.get("roleRef") or {}
    subjects = o.get("subjects") or []

    def of(kind: str) -> str:
        return ", ".join((f"{s.get('namespace', '')}/{s.get('name')}" if kind == "ServiceAccount" else str(s.get("name")))
                         for s in subjects if s.get("kind") == kind)

    return [_name(o), f"{ref.get('kind', '')}/{ref.get('name', '')}", _age(o), of("User"), of("Group"),
            of("ServiceAccount")]


def _lease(o: Obj) -> Cells:
    return [_name(o), str(_get(o, "spec", "holderIdentity") or ""), _age(o)]


def _webhooks(o: Obj) -> Cells:
    return [_name(o), len(o.get("webhooks") or []), _age(o)]


def default_cells(o: Obj) -> Cells:
    return [_name(o), created_at(o)]


_WIDE_CONTAINERS = [col("Containers", "Names of each container in the template.", priority=1),
                    col("Images", "Images referenced by each container in the template.", priority=1)]
_SELECTOR = col("Selector", "Label selector of the pods.", priority=1)
_BINDING_COLS = [NAME_COL, col("Role", "Role"), AGE_COL, col("Users", priority=1), col("Groups", priority=1),
                 col("ServiceAccounts", priority=1)]

DEFAULT: Printer = ([NAME_COL, CREATED_COL], default_cells)

BUILTIN: dict[tuple[str, str], Printer] = {
    ("", "Namespace"): ([NAME_COL, col("Status", "The status of the namespace"), AGE_COL], _namespace),
    ("", "Secret"): ([NAME_COL, col("Type", "Used to facilitate programmatic handling of secret data."),
                      col("Data", "Contains the secret data."), AGE_COL], _secret),
    ("", "ConfigMap"): ([NAME_COL, col("Data", "Data contains the configuration data."), AGE_COL], _configmap),
    ("", "ServiceAccount"): ([NAME_COL, col("Secrets", "Secrets is a list of the secrets in the same namespace."),
                              AGE_COL], _serviceaccount),
    ("", "Node"): ([NAME_COL, col("Status", "The status of the node"), col("Roles", "The roles of the node"), AGE_COL,
                    col("Version", "Kubelet Version reported by the node."),
                    col("Internal-IP", "List of addresses reachable to the node.", priority=1),
                    col("External-IP", "List of addresses reachable to the node.", priority=1),
                    col("OS-Image", "OS Image reported by the node.", priority=1),
                    col("Kernel-Version", "Kernel Version reported by the node.", priority=1),
                    col("Container-Runtime", "ContainerRuntime Version reported by the node.", priority=1)], _node),
    ("", "Event"): ([col("Last Seen", "The time at which the most recent occurrence of this event was recorded."),
                     col("Type", "Type of this event (Normal, Warning)."),
                     col("Reason", "This should be a short, machine understandable string."),
                     col("Object", "The object that this event is about."),
                     col("Subobject", "The field of the object the event is about.", priority=1),
                     col("Source", "The component reporting this event.", priority=1),
                     col("Message", "A human-readable description of the status of this operation."),
                     col("First Seen", "The time at which the event was first recorded.", priority=1),
                     col("Count", "The number of times this event has occurred.", priority=1),
                     col("Name", NAME_DOC, priority=1, fmt="name")], _event),
    ("", "Pod"): ([NAME_COL, col("Ready", "The aggregate readiness state of this pod for accepting traffic."),
                   col("Status", "The aggregate status of the containers in this pod."),
                   col("Restarts", "The number of times the containers in this pod have been restarted.", "string"),
                   AGE_COL, col("IP", "IP address allocated to the pod.", priority=1),
                   col("Node", "Name of the node this pod runs on.", priority=1),
                   col("Nominated Node", "Name of the node nominated for this pod.", priority=1),
                   col("Readiness Gates", "Pod readiness gates.", priority=1)], _pod),
    ("", "Service"): ([NAME_COL, col("Type", "The type of the service."), col("Cluster-IP", "The cluster IP."),
                       col("External-IP", "The external IPs."), col("Port(s)", "The ports exposed."), AGE_COL,
                       col("Selector", "Route service traffic to pods with label keys and values matching this selector.",
                           priority=1)], _service),
    ("", "Endpoints"): ([NAME_COL, col("Endpoints", "Endpoints of the service."), AGE_COL], _endpoints),
    ("apps", "Deployment"): ([NAME_COL, col("Ready", "Number of the pod with ready state"),
                              col("Up-to-date", "Total number of non-terminated pods targeted by this deployment that have the desired template spec.", "integer"),
                              col("Available", "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.", "integer"),
                              AGE_COL, *_WIDE_CONTAINERS, _SELECTOR], _deployment),
    ("apps", "ReplicaSet"): ([NAME_COL, col("Desired", "Number of desired pods.", "integer"),
                              col("Current", "Number of actual replicas.", "integer"),
                              col("Ready", "Number of ready replicas.", "integer"), AGE_COL, *_WIDE_CONTAINERS,
                              _SELECTOR], _replicaset),
    ("apps", "StatefulSet"): ([NAME_COL, col("Ready", "Number of the pod with ready state"), AGE_COL,
                               *_WIDE_CONTAINERS], _statefulset),
    ("apps", "DaemonSet"): ([NAME_COL, col("Desired", type_="integer"), col("Current", type_="integer"),
                             col("Ready", type_="integer"), col("Up-to-date", type_="integer"),
                             col("Available", type_="integer"), col("Node Selector"), AGE_COL, *_WIDE_CONTAINERS,
                             _SELECTOR], _daemonset),
    ("coordination.k8s.io", "Lease"): ([NAME_COL, col("Holder", "The holder of the lease."), AGE_COL], _lease),
    ("rbac.authorization.k8s.io", "ClusterRole"): DEFAULT,
    ("rbac.authorization.k8s.io", "Role"): DEFAULT,
    ("rbac.authorization.k8s.io", "RoleBinding"): (_BINDING_COLS, _binding),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"): (_BINDING_COLS, _binding),
    ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"):
        ([NAME_COL, col("Webhooks", "Webhooks indicates the number of webhooks.", "integer"), AGE_COL], _webhooks),
    ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"):
        ([NAME_COL, col("Webhooks", "Webhooks indicates the number of webhooks.", "integer"), AGE_COL], _webhooks),
    ("apiextensions.k8s.io", "CustomResourceDefinition"): DEFAULT,
}
