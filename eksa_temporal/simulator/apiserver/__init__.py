"""The Kubernetes-compatible API emulator of the simulated infrastructure.

One aiohttp application serves many virtual clusters (``/clusters/<name>/...``). Reads are
served from memory (``state``: objects by group-kind with their cached JSON); every write
is committed to SQLite (``persist``) before it is acknowledged, then published as a watch
event (``events``). Modules: ``resources`` (built-in kinds, CRD-registered kinds),
``store`` (write semantics, the in-process ``ObjectStore``), ``deletion`` (finalizers,
garbage collection, namespaces, CRD removal), ``fields`` (managedFields, server-side
apply), ``patch`` (merge, JSON, strategic merge), ``selectors``, ``discovery`` (legacy and
aggregated discovery, OpenAPI), ``handlers`` and ``watch`` (HTTP), ``admin`` (``/sim``
admin API, fault injection), ``protobuf`` (kubectl's typed-create bodies), ``tls`` (the
emulator's CA: kubectl sends tokens only over HTTPS).
"""
