"""Tinkerbell (bare metal) static rules: EKS-A's ``validateDatacenterConfig`` (image URLs,
tinkerbellIP, hook ISO only with isoBoot) and ``validateTinkerbellMachineConfig``
(hardwareSelector or hardwareAffinity, OS family, image URL, host OS settings; not the
users list, which the CLI fills in), plus
template references. Registered with the spec layer by the provider (``spec_plugin``).
"""

from __future__ import annotations

from collections.abc import Collection
from functools import partial
from typing import Any

from eksa_temporal.spec.clusterspec import ClusterSpec
from eksa_temporal.spec.findings import Finding
from eksa_temporal.spec.provider_checks import (
    ObjectRule,
    check_users,
    object_collector,
    spec_findings,
)
from eksa_temporal.spec.rules_util import Collector, is_ip, is_request_uri, shown
from eksa_temporal.spec.tinkerbell import TinkerbellDatacenterConfig, TinkerbellMachineConfig
from eksa_temporal.spec.validate_hostos import host_os_rules

OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")


def _datacenter(dc: TinkerbellDatacenterConfig) -> list[Finding]:
    d = object_collector(dc, "tinkerbell")
    spec = dc.spec
    _named(d, dc.kind, dc.name)
    for key, value, what in (
        ("osImageURL", spec.os_image_url, "osImageOverride"),
        ("hookImagesURLPath", spec.hook_images_url_path, "hookOverride"),
    ):
        if value and not is_request_uri(value):
            d.error(f"spec.{key}", f"parsing {what}: {value} is not a valid URL", "use http(s)://")
    if not spec.tinkerbell_ip:
        d.error(
            "spec.tinkerbellIP",
            "TinkerbellDatacenterConfig: missing spec.tinkerbellIP field",
            "set the IP the Tinkerbell stack listens on",
        )
    elif not is_ip(spec.tinkerbell_ip):
        d.error(
            "spec.tinkerbellIP",
            f"TinkerbellDatacenterConfig: invalid tinkerbell ip: {spec.tinkerbell_ip}",
            "use an IP address",
        )
    if spec.hook_iso_url and not spec.iso_boot:
        d.error(
            "spec.hookIsoURL",
            "isoURL can be set, only when isoBoot is set to true",
            "set isoBoot: true or remove hookIsoURL",
        )
    elif spec.hook_iso_url and not is_request_uri(spec.hook_iso_url):
        d.error(
            "spec.hookIsoURL",
            f"parsing hookIsoURL: {spec.hook_iso_url}, please provide a valid URL",
            "use http(s)://",
        )
    return d.findings


def _named(c: Collector, kind: str, name: str) -> None:
    """EKS-A's ``validateObjectMeta``."""
    if not name:
        c.error("metadata.name", f"{kind}: missing name", "set metadata.name")


def _selector(m: Collector, path: str, selector: Any) -> None:
    expressions = selector.get("matchExpressions") if isinstance(selector, dict) else None
    for j, expr in enumerate(expressions or []):
        if not isinstance(expr, dict):
            continue
        op, values = expr.get("operator"), expr.get("values") or []
        where = f"{path}.labelSelector.matchExpressions[{j}]"
        if op not in OPERATORS:
            m.error(
                f"{where}.operator",
                f"TinkerbellMachineConfig: invalid matchExpression operator '{op or ''}', must be one of: In, NotIn, Exists, DoesNotExist"
                if op
                else "TinkerbellMachineConfig: matchExpression operator is not set",
                "use In, NotIn, Exists or DoesNotExist",
            )
        elif op in ("In", "NotIn") and not values:
            m.error(
                f"{where}.values",
                f"TinkerbellMachineConfig: matchExpression with operator {op} must have non-empty values",
                "list the label values",
            )
        elif op in ("Exists", "DoesNotExist") and values:
            m.error(
                f"{where}.values",
                f"TinkerbellMachineConfig: matchExpression with operator {op} must not have values",
                "remove values",
            )


def _hardware(m: Collector, mc: TinkerbellMachineConfig) -> None:
    selector, affinity = mc.spec.hardware_selector, mc.spec.hardware_affinity
    name = shown(mc.name)
    if selector and affinity is not None:
        m.error(
            "spec.hardwareAffinity",
            f"TinkerbellMachineConfig: hardwareSelector and hardwareAffinity are mutually exclusive: {name}",
            "keep one of them",
        )
    elif not selector and affinity is None:
        m.error(
            "spec.hardwareSelector",
            f"TinkerbellMachineConfig: either hardwareSelector or hardwareAffinity must be specified: {name}",
            "add a label selector, e.g. hardwareSelector: {type: cp}",
        )
    elif selector:
        if len(selector) != 1:
            m.error(
                "spec.hardwareSelector",
                f"TinkerbellMachineConfig: spec.hardwareSelector must contain only 1 key-value pair: {name}",
                "keep one label",
            )
    else:
        required = affinity.get("required") if isinstance(affinity, dict) else None
        if not required:
            m.error(
                "spec.hardwareAffinity.required",
                f"TinkerbellMachineConfig: hardwareAffinity.required must have at least one term: {name}",
                "add a required term",
            )
        for i, term in enumerate(required or []):
            if isinstance(term, dict):
                _selector(m, f"spec.hardwareAffinity.required[{i}]", term.get("labelSelector"))
        preferred = affinity.get("preferred") if isinstance(affinity, dict) else None
        for i, weighted in enumerate(preferred or []):
            if not isinstance(weighted, dict):
                continue
            weight = weighted.get("weight", 0)
            if not isinstance(weight, int) or not 1 <= weight <= 100:
                m.error(
                    f"spec.hardwareAffinity.preferred[{i}].weight",
                    f"TinkerbellMachineConfig: preferred term weight must be in range [1, 100], got {weight}",
                    "use a weight from 1 to 100",
                )
            term = weighted.get("hardwareAffinityTerm")
            if isinstance(term, dict):
                _selector(
                    m,
                    f"spec.hardwareAffinity.preferred[{i}].hardwareAffinityTerm",
                    term.get("labelSelector"),
                )


def _machine(mc: TinkerbellMachineConfig, templates: Collection[str] | None) -> list[Finding]:
    m = object_collector(mc, "tinkerbell")
    _named(m, mc.kind, mc.name)
    _hardware(m, mc)
    family = mc.spec.os_family
    if not family:
        m.error(
            "spec.osFamily",
            f"TinkerbellMachineConfig: missing spec.osFamily: {shown(mc.name)}",
            "set osFamily: bottlerocket, ubuntu or redhat",
        )
    elif family not in ("ubuntu", "bottlerocket", "redhat"):
        m.error(
            "spec.osFamily",
            f"TinkerbellMachineConfig: unsupported spec.osFamily ({family}); Please use one of the following: ubuntu, redhat, bottlerocket",
            "use ubuntu, redhat or bottlerocket",
        )
    if mc.spec.os_image_url and not is_request_uri(mc.spec.os_image_url):
        m.error(
            "spec.osImageURL",
            f"parsing osImageOverride: {mc.spec.os_image_url} is not a valid URL",
            "use http(s)://",
        )
    check_users(m, mc.spec.users, family)
    host_os_rules(m, mc.spec.host_os_configuration, family)
    ref = mc.spec.template_ref
    if ref is not None and (ref.kind or ref.name):
        if ref.kind != "TinkerbellTemplateConfig":
            m.error(
                "spec.templateRef.kind",
                f"templateRef kind {ref.kind} is not supported"
                if ref.kind
                else "templateRef kind is not set",
                "use TinkerbellTemplateConfig",
            )
        elif templates is not None and ref.name not in templates:
            m.error(
                "spec.templateRef.name",
                f"TinkerbellTemplateConfig {shown(ref.name)} not found",
                f"add a TinkerbellTemplateConfig named {ref.name}"
                if ref.name
                else "name the template",
            )
    return m.findings


def tinkerbell_objects(templates: Collection[str] | None) -> tuple[ObjectRule[Any], ...]:
    """The rules of each Tinkerbell object; ``templates`` are the spec's template names
    (None for an object on its own)."""
    return (
        ObjectRule(TinkerbellDatacenterConfig, _datacenter),
        ObjectRule(TinkerbellMachineConfig, partial(_machine, templates=templates)),
    )


def tinkerbell_rules(spec: ClusterSpec, c: Collector) -> list[Finding]:
    return spec_findings(spec, tinkerbell_objects(spec.tinkerbell_templates.keys()))
