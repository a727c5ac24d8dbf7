"""Loading a multi-document EKS-A spec into a ``ClusterSpec``.

``load_spec(text)`` splits and parses the YAML, ignores documents of other kinds or
apiVersions (as EKS-A does), applies EKS-A defaults, decodes each known document strictly
(unknown fields and wrong types are findings naming their YAML path) and assembles the
``ClusterSpec`` from the Cluster and the objects it references. It never raises.
``check_spec_text`` is load + ``validate_spec`` in one call, reporting every problem at
once (it keeps validating a best-effort spec after decode errors); the CLI uses it.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from eksa_temporal.spec.base import API_GROUP, API_VERSION, KubeObject
from eksa_temporal.spec.cluster import Cluster
from eksa_temporal.spec.clusterspec import ClusterSpec
from eksa_temporal.spec.defaults import apply_defaults
from eksa_temporal.spec.findings import Finding, Severity, errors
from eksa_temporal.spec.identity import AWSIamConfig, FluxConfig, GitOpsConfig, OIDCConfig
from eksa_temporal.spec.kinds import (
    MACHINE_KINDS,
    MODEL_BY_KIND,
    PROVIDER_BY_DATACENTER_KIND,
)
from eksa_temporal.spec.rules_util import object_prefix
from eksa_temporal.spec.snow import SnowIPPool
from eksa_temporal.spec.tinkerbell import TinkerbellTemplateConfig
from eksa_temporal.spec.yamldocs import parse_documents

_MAX_RECOVERY_ROUNDS = 8


class LoadResult(BaseModel):
    """``spec`` is ``None`` when the text could not be decoded without errors;
    ``findings`` lists every problem met while loading (errors and warnings)."""

    model_config = ConfigDict(frozen=True)

    spec: ClusterSpec | None = None
    findings: list[Finding] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.spec is not None and not errors(self.findings)


def _loc_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif "[" in part or part in ("int", "str", "bool", "float", "list", "dict"):
            continue  # union member tags from pydantic, not YAML keys
        else:
            path += ("." if path else "") + part
    return path or "<document>"


def _clean_loc(loc: tuple[int | str, ...]) -> list[int | str]:
    return [p for p in loc if isinstance(p, int) or ("[" not in p and p not in ("int", "str"))]


def _error_message(err: Any) -> tuple[str, str]:
    kind = err.get("type", "")
    field = _loc_path(tuple(err.get("loc", ())))
    leaf = field.rsplit(".", 1)[-1]
    if kind == "extra_forbidden":
        return (
            f'unknown field "{leaf}"',
            "remove it or fix its spelling (fields are decoded strictly, as in EKS-A)",
        )
    shown = repr(err.get("input"))
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return (
        f"cannot decode {shown}: {err.get('msg', 'invalid value')}",
        "give the value the type the EKS-A schema expects",
    )


def _loc_order(loc: list[int | str]) -> list[tuple[int, int, str]]:
    return [(0, p, "") if isinstance(p, int) else (1, 0, p) for p in loc]


def _delete_at(data: Any, loc: list[int | str]) -> bool:
    """Remove the value at ``loc`` from the raw document (used to keep validating)."""
    target = data
    for part in loc[:-1]:
        try:
            target = target[part]
        except (KeyError, IndexError, TypeError):
            return False
    last = loc[-1] if loc else None
    if last is None:
        return False
    try:
        del target[last]
    except (KeyError, IndexError, TypeError):
        return False
    return True


def go_nulls(value: Any) -> Any:
    """YAML ``null`` as Go's decoder reads it: the field keeps its zero value. A null mapping
    value is dropped (same as absent); a null list item becomes an empty mapping when its
    siblings are mappings (a zero struct), else an empty string."""
    if isinstance(value, dict):
        return {k: go_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        structs = any(isinstance(item, dict) for item in value) or all(
            item is None for item in value
        )
        zero: Any = {} if structs else ""
        return [zero if item is None else go_nulls(item) for item in value]
    return value


def _model_of(annotation: Any) -> tuple[str, type[BaseModel]] | None:
    """(shape, model) when ``annotation`` holds an EKS-A model: ``one``, ``list`` or ``dict``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "one", annotation
    args = [a for a in get_args(annotation) if a is not type(None)]
    origin = get_origin(annotation)
    if origin is list and args:
        inner = _model_of(args[0])
        return ("list", inner[1]) if inner and inner[0] == "one" else None
    if origin is dict and len(args) == 2:
        inner = _model_of(args[1])
        return ("dict", inner[1]) if inner and inner[0] == "one" else None
    for arg in args:  # X | None
        found = _model_of(arg)
        if found:
            return found
    return None


def fold_key_case(model: type[BaseModel], data: Any) -> Any:
    """Go's JSON decoding matches field names case-insensitively (``certSANs`` is
    ``certSans``): rename such keys to the schema's spelling before strict decoding."""
    if not isinstance(data, dict):
        return data
    fields = {(f.alias or name): f for name, f in model.model_fields.items()}
    lower = {alias.lower(): alias for alias in fields}
    out: dict[Any, Any] = {}
    for key, value in data.items():
        alias = key if key in fields or not isinstance(key, str) else lower.get(key.lower(), key)
        if alias in out:
            alias = key  # both spellings given: keep the original so the decoder reports it
        field = fields.get(alias)
        found = _model_of(field.annotation) if field is not None else None
        if found is not None:
            shape, inner = found
            if shape == "one":
                value = fold_key_case(inner, value)
            elif shape == "list" and isinstance(value, list):
                value = [fold_key_case(inner, v) for v in value]
            elif shape == "dict" and isinstance(value, dict):
                value = {k: fold_key_case(inner, v) for k, v in value.items()}
        out[alias] = value
    return out


def _decode(
    model: type[KubeObject], data: dict[str, Any], prefix: str
) -> tuple[KubeObject | None, list[Finding]]:
    """Strictly decode; on errors also try to decode what remains (for further checks)."""
    findings: list[Finding] = []
    data = fold_key_case(model, data)
    work = data
    for round_ in range(_MAX_RECOVERY_ROUNDS):
        try:
            return model.model_validate(work), findings
        except ValidationError as exc:
            locs: list[list[int | str]] = []
            for err in exc.errors():
                loc = tuple(err.get("loc", ()))
                message, remediation = _error_message(err)
                if round_ == 0:
                    findings.append(
                        Finding(
                            path=prefix + _loc_path(loc),
                            message=message,
                            remediation=remediation,
                            check="schema",
                        )
                    )
                locs.append(_clean_loc(loc))
            if round_ == 0:
                work = copy.deepcopy(data)
            removed = False
            for target in sorted(locs, key=_loc_order, reverse=True):
                removed = _delete_at(work, target) or removed
            if not removed:
                return None, findings
        except (RecursionError, ValueError, TypeError) as exc:
            findings.append(
                Finding(path=prefix + "<document>", message=f"cannot decode: {exc}", check="schema")
            )
            return None, findings
    return None, findings


def _classify(data: Any, line: int) -> tuple[str | None, list[Finding]]:
    """The kind to decode (None: ignore) and findings about the document header."""
    where = f"line {line}"
    if not isinstance(data, dict):
        return None, [
            Finding(
                path=where,
                message=f"document is a {type(data).__name__}, not a Kubernetes object",
                remediation="each document must be a mapping with apiVersion, kind, metadata, spec",
                check="schema",
            )
        ]
    api_version, kind = data.get("apiVersion"), data.get("kind")
    if not api_version and not kind:
        return None, []
    if not isinstance(kind, str) or not isinstance(api_version, str | None):
        return None, [
            Finding(path=where, message="kind and apiVersion must be strings", check="schema")
        ]
    if not api_version:
        return None, [
            Finding(
                path=where,
                message=f"apiVersion not set for Kind: {kind}",
                remediation=f"set apiVersion: {API_VERSION}",
                check="schema",
            )
        ]
    ours = kind in MODEL_BY_KIND
    if api_version != API_VERSION:
        if ours or api_version.startswith(API_GROUP):
            return None, [
                Finding(
                    path=where,
                    message=f"{kind} ignored: apiVersion {api_version} is not {API_VERSION}",
                    remediation=f"set apiVersion: {API_VERSION} if this object belongs to the spec",
                    severity=Severity.WARNING,
                    check="schema",
                )
            ]
        return None, []
    if not ours:
        return None, [
            Finding(
                path=where,
                message=f"object of unknown kind {kind} ignored",
                remediation="remove it, or fix the kind's spelling",
                severity=Severity.WARNING,
                check="schema",
            )
        ]
    return kind, []


def _assemble(cluster: Cluster, objects: list[KubeObject]) -> ClusterSpec:
    by_key = {(o.kind, o.name): o for o in objects}
    dc_ref = cluster.spec.datacenter_ref
    datacenter = by_key.get((dc_ref.kind, dc_ref.name))
    if datacenter is not None and datacenter.kind not in PROVIDER_BY_DATACENTER_KIND:
        datacenter = None
    machines = {}
    for ref in cluster.machine_config_refs():
        found = by_key.get((ref.kind, ref.name))
        if found is not None and found.kind in MACHINE_KINDS:
            machines[found.name] = found
    idps = []
    for ref in cluster.spec.identity_provider_refs or []:
        idp = by_key.get((ref.kind, ref.name))
        if isinstance(idp, OIDCConfig | AWSIamConfig) and idp not in idps:
            idps.append(idp)
    gitops_ref = cluster.spec.git_ops_ref
    gitops_obj = by_key.get((gitops_ref.kind, gitops_ref.name)) if gitops_ref else None
    return ClusterSpec.model_validate(
        {
            "cluster": cluster,
            "provider": PROVIDER_BY_DATACENTER_KIND.get(dc_ref.kind, ""),
            "datacenter": datacenter,
            "machine_configs": machines,
            "identity_providers": idps,
            "gitops": gitops_obj if isinstance(gitops_obj, GitOpsConfig) else None,
            "flux": gitops_obj if isinstance(gitops_obj, FluxConfig) else None,
            "tinkerbell_templates": {
                o.name: o for o in objects if isinstance(o, TinkerbellTemplateConfig)
            },
            "snow_ip_pools": {o.name: o for o in objects if isinstance(o, SnowIPPool)},
        }
    )


def _load(text: str) -> tuple[ClusterSpec | None, list[Finding], list[KubeObject]]:
    """Best-effort spec (even after decode errors), all load findings, and the decoded
    non-Cluster objects."""
    docs, findings = parse_documents(text)
    if errors(findings):
        return None, findings, []
    recognised: list[tuple[str, dict[str, Any]]] = []
    for doc in docs:
        kind, header_findings = _classify(doc.data, doc.line)
        findings += header_findings
        if kind is not None:
            recognised.append((kind, go_nulls(doc.data)))
    clusters = [d for k, d in recognised if k == "Cluster"]
    if len(clusters) > 1:
        findings.append(
            Finding(
                path="<document>",
                message="only one Cluster per yaml manifest is allowed",
                remediation="keep one Cluster object per spec file",
                check="schema",
            )
        )
    apply_defaults([d for _, d in recognised])
    objects: list[KubeObject] = []
    cluster: Cluster | None = None
    for kind, data in recognised:
        meta = data.get("metadata")
        name = meta.get("name") if isinstance(meta, dict) else None
        obj, obj_findings = _decode(MODEL_BY_KIND[kind], data, object_prefix(kind, str(name or "")))
        findings += obj_findings
        if isinstance(obj, Cluster):
            cluster = cluster or obj
        elif obj is not None:
            objects.append(obj)
    if cluster is None:
        if not clusters:
            findings.append(
                Finding(
                    path="<document>",
                    message="no Cluster found in manifest",
                    remediation=f"add a document with apiVersion: {API_VERSION} and kind: Cluster",
                    check="schema",
                )
            )
        return None, findings, objects
    try:
        return _assemble(cluster, objects), findings, objects
    except ValidationError as exc:  # pragma: no cover - objects are already validated
        findings.append(Finding(path="<document>", message=str(exc).splitlines()[0]))
        return None, findings, objects


def load_spec(text: str, source: str = "<stdin>") -> LoadResult:
    """Parse, default and strictly decode a multi-document spec. Never raises.

    ``source`` names the input in findings about it as a whole (e.g. an empty file)."""
    if not text.strip():
        return LoadResult(
            findings=[
                Finding(
                    path=source,
                    message="the spec is empty",
                    remediation="pass a cluster spec (eksa-temporal generate clusterconfig NAME -p PROVIDER)",
                    check="schema",
                )
            ]
        )
    spec, findings, _ = _load(text)
    if errors(findings):
        spec = None
    return LoadResult(spec=spec, findings=findings)


def load_spec_file(path: str | Path) -> LoadResult:
    """``load_spec`` on a file; an unreadable file is an error finding."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return LoadResult(
            findings=[
                Finding(
                    path=str(path),
                    message=f"cannot read the spec file: {exc}",
                    remediation="check the path and that the file is readable UTF-8 text",
                    check="read-file",
                )
            ]
        )
    return load_spec(text, source=str(path))


def check_spec_text(text: str, source: str = "<stdin>") -> tuple[ClusterSpec | None, list[Finding]]:
    """Load and validate in one call: every problem, the spec ``None`` if any error."""
    from eksa_temporal.spec.validate import validate_objects_alone, validate_spec

    if not text.strip():
        return None, load_spec(text, source).findings
    spec, findings, objects = _load(text)
    if spec is not None:
        findings = findings + validate_spec(spec)
    elif objects:
        findings = findings + validate_objects_alone(objects)
    return (None if errors(findings) else spec), findings
