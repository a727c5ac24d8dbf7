"""Cluster API components as clusterctl installs them: the pinned release manifest (one
place, like EKS-A's bundle), download into a local cache with sha256 verification, and
air-gapped component folders (``{base}/{provider}/{version}/{file}``).

Used by the ``install-capi-components-*`` activities; nothing here talks to a cluster.
"""
