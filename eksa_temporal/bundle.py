"""The release bundle (``bundle.yaml`` beside this module): the one place that pins every
external artefact a release uses - the ``kind`` and ``docker`` executables, the kind node
image per Kubernetes minor version, and each Cluster API provider's release files (URL,
sha256 when published) plus EKS Anywhere's CRDs. ``EKSA_BUNDLE=<file>`` replaces it with
another file of the same shape (a newer release, an internal mirror).
"""

from __future__ import annotations

import os
from functools import cache
from importlib import resources
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

BUNDLE_ENV = "EKSA_BUNDLE"


class BundleError(KeyError):
    """The bundle does not have what was asked for (the message names what it has)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class Tool(_Model):
    binary: str
    version: str = ""
    minimum_version: str = Field(default="", alias="minimumVersion")


class Tools(_Model):
    kind: Tool = Tool(binary="kind")
    docker: Tool = Tool(binary="docker")


class ComponentFile(_Model):
    """One component file: ``url`` is ``https://...``, ``file://...`` or
    ``package://<python package>/<file>`` (data shipped with this product)."""

    url: str
    sha256: str = ""


class ProviderRelease(_Model):
    """One clusterctl provider (or EKS-A's CRDs) at one version."""

    name: str  # clusterctl label: cluster-api, bootstrap-kubeadm, infrastructure-docker, ...
    type: str  # CertManager | CoreProvider | BootstrapProvider | ... | EksaComponents
    version: str
    namespace: str
    files: list[ComponentFile] = []
    # zero-download stand-in manifests shipped in this package (component source ``embedded``)
    embedded: list[ComponentFile] = []

    @property
    def provider_name(self) -> str:
        """The short provider name clusterctl records (``kubeadm``, ``docker``, ``cluster-api``)."""
        for prefix in ("bootstrap-", "control-plane-", "infrastructure-"):
            if self.name.startswith(prefix):
                return self.name.removeprefix(prefix)
        return self.name


class Bundle(_Model):
    tools: Tools = Tools()
    kind_node_images: dict[str, str] = Field(default_factory=dict, alias="kindNodeImages")
    bootstrap_kubernetes_version: str = Field(default="", alias="bootstrapKubernetesVersion")
    components: list[ProviderRelease] = []
    eksa: ProviderRelease | None = None

    def kind_node_image(self, kubernetes_version: str) -> str:
        """The kind node image for Kubernetes ``MAJOR.MINOR`` (a ``vX.Y.Z`` is cut to its minor)."""
        minor = ".".join(kubernetes_version.lstrip("v").split(".")[:2])
        image = self.kind_node_images.get(minor)
        if not image:
            known = ", ".join(sorted(self.kind_node_images)) or "none"
            raise BundleError(
                f"the bundle has no kind node image for Kubernetes {minor} (it has: {known})"
            )
        return image

    def bootstrap_node_image(self) -> str:
        """The node image of the bootstrap (kind) cluster."""
        version = self.bootstrap_kubernetes_version or max(
            self.kind_node_images, key=lambda v: tuple(int(p) for p in v.split(".")), default=""
        )
        return self.kind_node_image(version)


def read_bundle(path: str | Path) -> Bundle:
    """A bundle from a YAML (or JSON) file."""
    return Bundle.model_validate(yaml.safe_load(Path(path).read_text()))


@cache
def _load(path: str) -> Bundle:
    if path:
        return read_bundle(path)
    text = resources.files(__package__ or "eksa_temporal").joinpath("bundle.yaml").read_text()
    return Bundle.model_validate(yaml.safe_load(text))


def load_bundle() -> Bundle:
    """The bundle in use: ``EKSA_BUNDLE`` when set, else the one shipped with this release."""
    return _load(os.environ.get(BUNDLE_ENV, "").strip())
