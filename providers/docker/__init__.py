"""The ``docker`` provider: EKS-A's Docker provider - cluster nodes as containers on this
host's Docker, made by CAPD - with its daemon checks, CAPD rendering and clean-up of a
cluster's node containers by their cluster label. ``DockerProvider`` is the entry."""

from eksa_temporal.providers.docker.provider import DockerProvider

__all__ = ["DockerProvider"]
