"""``validate_spec``: every static rule over a loaded ``ClusterSpec``, as findings.

Runs the Cluster content rules, reference and namespace rules, identity-provider and GitOps
object rules, and the provider's static rules (registered by the provider, ``eksa_temporal.spec.plugins``). Never raises: an unexpected failure inside a
rule becomes an error finding naming the rule. Called by the CLI's ``validate`` and by the
workflows' ``setup-validate`` step. ``validate_objects_alone`` checks the objects of a manifest
that has no Cluster. The rule list is in ``RULES.md`` beside this file.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from eksa_temporal.spec.base import KubeObject
from eksa_temporal.spec.clusterspec import ClusterSpec
from eksa_temporal.spec.findings import Finding
from eksa_temporal.spec.identity import AWSIamConfig, FluxConfig, GitOpsConfig, OIDCConfig
from eksa_temporal.spec.plugins import plugins
from eksa_temporal.spec.provider_checks import ObjectRule, object_findings
from eksa_temporal.spec.validate_cluster import validate_cluster
from eksa_temporal.spec.validate_objects import aws_iam, flux, gitops, namespaces, oidc, references
from eksa_temporal.spec.validate_providers import validate_provider


def _rules(spec: ClusterSpec) -> list[tuple[str, Callable[[], list[Finding]]]]:
    rules: list[tuple[str, Callable[[], list[Finding]]]] = [
        ("cluster", lambda: validate_cluster(spec.cluster)),
        ("references", lambda: references(spec)),
        ("namespaces", lambda: namespaces(spec)),
        ("provider", lambda: validate_provider(spec)),
    ]
    for idp in spec.identity_providers:
        if isinstance(idp, OIDCConfig):
            rules.append(("oidc", lambda idp=idp: oidc(idp)))  # type: ignore[misc]
        elif isinstance(idp, AWSIamConfig):
            rules.append(("aws-iam", lambda idp=idp: aws_iam(idp)))  # type: ignore[misc]
    if spec.gitops is not None:
        rules.append(("gitops", lambda: gitops(spec.gitops)))  # type: ignore[arg-type]
    if spec.flux is not None:
        rules.append(("flux", lambda: flux(spec.flux)))  # type: ignore[arg-type]
    return rules


# The rules of each object kind that has rules of its own, for an object without a Cluster
# (providers' kinds: the object rules they registered through ``eksa_temporal.spec.plugins``).
_OBJECT_RULES: tuple[ObjectRule[Any], ...] = (
    ObjectRule(OIDCConfig, oidc),
    ObjectRule(AWSIamConfig, aws_iam),
    ObjectRule(GitOpsConfig, gitops),
    ObjectRule(FluxConfig, flux),
)


def _guarded(name: str, rule: Callable[[], list[Finding]]) -> list[Finding]:
    """The findings of ``rule``, or one error finding naming the rule when it raises: a rule
    bug must not hide the other findings."""
    try:
        return rule()
    except Exception as exc:
        return [
            Finding(
                path="<spec>",
                message=f"internal error in the {name} rules: {type(exc).__name__}: {exc}",
                remediation="report this as a bug with the spec attached",
                check=name,
            )
        ]


def validate_objects_alone(objects: list[KubeObject]) -> list[Finding]:
    """The rules of each object on its own, for a manifest without a Cluster (the missing
    Cluster is already an error): every other problem is still shown. Never raises."""
    findings: list[Finding] = []
    for obj in objects:
        rules = _OBJECT_RULES + tuple(r for p in plugins() for r in p.object_rules)
        findings += _guarded(obj.kind, partial(object_findings, obj, rules))
    return findings


def validate_spec(spec: ClusterSpec) -> list[Finding]:
    """All static findings for ``spec`` (errors and warnings). Never raises."""
    findings: list[Finding] = []
    for name, rule in _rules(spec):
        findings += _guarded(name, rule)
    return findings
