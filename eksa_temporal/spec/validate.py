"""``validate_spec``: every static rule over a loaded ``ClusterSpec``, as findings.

Runs the Cluster content rules, reference and namespace rules, identity-provider and GitOps
object rules, and the provider's static rules. Never raises: an unexpected failure inside a
rule becomes an error finding naming the rule. Called by the CLI's ``validate`` and by the
workflows' ``setup-validate`` step. The rule list is in ``RULES.md`` beside this file.
"""

from __future__ import annotations

from collections.abc import Callable

from eksa_temporal.spec.clusterspec import ClusterSpec
from eksa_temporal.spec.findings import Finding
from eksa_temporal.spec.identity import AWSIamConfig, OIDCConfig
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


def validate_spec(spec: ClusterSpec) -> list[Finding]:
    """All static findings for ``spec`` (errors and warnings). Never raises."""
    findings: list[Finding] = []
    for name, rule in _rules(spec):
        try:
            findings += rule()
        except Exception as exc:  # a rule bug must not hide the other findings
            findings.append(
                Finding(
                    path="<spec>",
                    message=f"internal error in the {name} rules: {type(exc).__name__}: {exc}",
                    remediation="report this as a bug with the spec attached",
                    check=name,
                )
            )
    return findings
