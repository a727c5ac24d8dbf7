"""Shared building blocks of the EKS-A spec models: the strict base model, object metadata,
references, SSH users and the YAML-scalar string type.

Every kind module in ``eksa_temporal.spec`` builds on ``EksaModel``: camelCase on the wire
(alias generator), snake_case in Python, unknown fields rejected (strict decoding like EKS-A's
``UnmarshalStrict``), frozen values that pydantic (and Temporal's pydantic data converter) can
dump and load. ``YamlStr`` mirrors sigs.k8s.io/yaml: a YAML scalar decoded into a string field
keeps its text (``kubernetesVersion: 1.20`` is ``"1.20"``, not ``1.2``).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.alias_generators import to_camel

API_VERSION = "anywhere.eks.amazonaws.com/v1alpha1"
API_GROUP = "anywhere.eks.amazonaws.com"
DEFAULT_NAMESPACE = "default"


class YamlFloat(float):
    """A float read from YAML that remembers its source text (``1.20`` stays ``"1.20"``)."""

    raw: str

    def __new__(cls, value: float, raw: str) -> YamlFloat:
        obj = super().__new__(cls, value)
        obj.raw = raw
        return obj

    def __getnewargs__(self) -> tuple[float, str]:  # type: ignore[override]
        return (float(self), self.raw)


def _scalar_text(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, YamlFloat):
        return value.raw
    if isinstance(value, int | float):
        return str(value)
    return value


YamlStr = Annotated[str, BeforeValidator(_scalar_text)]
"""A string field that accepts any YAML scalar as its text, like EKS-A's decoder does."""


class EksaModel(BaseModel):
    """Base of every spec model: strict, frozen, camelCase aliases, unknown fields forbidden."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra="forbid",
        frozen=True,
        strict=True,
    )

    def dump(self) -> dict[str, Any]:
        """The wire form: camelCase keys, only the fields that were set, no ``None``."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True, exclude_none=True)


class ObjectMeta(EksaModel):
    """Kubernetes object metadata: name, namespace, labels, annotations (+ the other standard
    ObjectMeta fields, tolerated and kept)."""

    name: YamlStr = ""
    namespace: YamlStr | None = None
    labels: dict[str, YamlStr] | None = None
    annotations: dict[str, YamlStr] | None = None
    generate_name: YamlStr | None = None
    uid: YamlStr | None = None
    resource_version: YamlStr | None = None
    generation: int | None = None
    creation_timestamp: Any = None
    deletion_timestamp: Any = None
    deletion_grace_period_seconds: int | None = None
    finalizers: list[YamlStr] | None = None
    owner_references: list[dict[str, Any]] | None = None
    managed_fields: list[dict[str, Any]] | None = None
    self_link: YamlStr | None = None


class Ref(EksaModel):
    """A reference to another object of the spec by kind and name."""

    kind: YamlStr = ""
    name: YamlStr = ""


class UserConfiguration(EksaModel):
    """An OS user with SSH keys, as on every machine config."""

    name: YamlStr = ""
    ssh_authorized_keys: list[YamlStr] | None = None


class KubeObject(EksaModel):
    """Fields every EKS-A kind shares: apiVersion, kind, metadata (and a tolerated status)."""

    api_version: YamlStr = API_VERSION
    kind: YamlStr = ""
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    status: dict[str, Any] | None = None

    @property
    def name(self) -> str:
        return self.metadata.name

    @property
    def namespace(self) -> str:
        return self.metadata.namespace or DEFAULT_NAMESPACE
