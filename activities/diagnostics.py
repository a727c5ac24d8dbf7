"""``collect-support-bundle``: what an operator needs after a failure, in one file.

From every cluster of the operation that is reachable (bootstrap, management, the cluster
itself) it gathers every Cluster API object (all kinds of the ``*.x-k8s.io`` groups, as YAML
without ``managedFields``), the events, a one-line-per-condition summary, and the names and
types of Secrets - never their data - into ``<c>/support-bundle-<ts>.tar.gz`` (0600).
It reads the clusters only, never the cluster folder: kubeconfigs and the ``capi-backup``
folders (copies of Secrets) stay out of every bundle.
Best effort: an unreachable cluster is noted in the bundle and skipped.
"""

from __future__ import annotations

import io
import os
import re
import tarfile
import time
from pathlib import Path
from typing import Any

import yaml

from eksa_temporal.activities.common import log
from eksa_temporal.activities.models import SupportBundleInput, SupportBundleResult
from eksa_temporal.activities.steps import step
from eksa_temporal.files import private_parents
from eksa_temporal.kube.client import Kube, Obj, kube_for
from eksa_temporal.providers.registry import Registry

SECRET_FIELDS = ("data", "stringData")
DROP_ANNOTATIONS = ("kubectl.kubernetes.io/last-applied-configuration",)
# the password of a URL's userinfo (proxy URLs in kubeadm files): scheme://user:PASSWORD@host
URL_PASSWORD = re.compile(r"(\w+://[^/\s:@]*):[^/\s@]+@")


def _without_url_passwords(value: Any) -> Any:
    if isinstance(value, str):
        return URL_PASSWORD.sub(r"\1:<redacted>@", value)
    if isinstance(value, dict):
        return {k: _without_url_passwords(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_url_passwords(v) for v in value]
    return value


def scrub(obj: Obj) -> Obj:
    """A copy safe to share: no managedFields, no Secret data, no last-applied blobs, no
    passwords in URLs (proxy settings)."""
    out = dict(_without_url_passwords(obj))
    meta = dict(out.get("metadata") or {})
    meta.pop("managedFields", None)
    notes = {k: v for k, v in (meta.get("annotations") or {}).items() if k not in DROP_ANNOTATIONS}
    if notes:
        meta["annotations"] = notes
    else:
        meta.pop("annotations", None)
    out["metadata"] = meta
    if out.get("kind") == "Secret":
        for key in SECRET_FIELDS:
            if key in out:
                out[key] = {k: "<redacted>" for k in out[key] or {}}
    return out


def capi_resources(kube: Kube) -> list[tuple[str, str]]:
    """(apiVersion, kind) of every listable resource of the Cluster API groups served."""
    found: list[tuple[str, str]] = []
    for entry in kube.dynamic.resources:
        for res in entry if isinstance(entry, list) else [entry]:
            group = getattr(res, "group", "") or ""
            name = getattr(res, "name", "") or ""
            if not group.endswith("x-k8s.io") or "/" in name or res.kind.endswith("List"):
                continue
            found.append((res.group_version, res.kind))
    return sorted(set(found))


def conditions_summary(objs: list[Obj]) -> list[str]:
    lines = []
    for o in objs:
        meta = o.get("metadata") or {}
        for c in (o.get("status") or {}).get("conditions") or []:
            lines.append(
                f"{o.get('kind')}/{meta.get('namespace', '')}/{meta.get('name')}: "
                f"{c.get('type')}={c.get('status')} {c.get('reason', '')} {c.get('message', '')}".rstrip()
            )
    return lines


def collect(kube: Kube) -> dict[str, str]:
    """File name -> text for one cluster."""
    files: dict[str, str] = {}
    everything: list[Obj] = []
    for api_version, kind in capi_resources(kube):
        items, _ = kube.list_objects(api_version, kind)
        if items:
            clean = [scrub(i) for i in items]
            everything += clean
            files[f"capi/{api_version.replace('/', '_')}_{kind}.yaml"] = yaml.safe_dump_all(clean)
    events, _ = kube.list_objects("v1", "Event")
    files["events.yaml"] = yaml.safe_dump_all([scrub(e) for e in events])
    secrets, _ = kube.list_objects("v1", "Secret")
    files["secrets.txt"] = "\n".join(
        f"{s['metadata'].get('namespace')}/{s['metadata']['name']} type={s.get('type', '')} (data not collected)"
        for s in secrets
    )
    files["conditions.txt"] = "\n".join(conditions_summary(everything))
    return files


class DiagnosticsActivities:
    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    @step("collect-support-bundle", changes="writes a support bundle into the cluster folder")
    def collect_support_bundle(self, inp: SupportBundleInput) -> SupportBundleResult:
        """Write <c>/support-bundle-<ts>.tar.gz from every reachable cluster."""
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        bundle = Path(inp.bundle_path or inp.dir / f"support-bundle-{stamp}.tar.gz")
        sources: dict[str, str] = {}
        boot = self.registry.bootstrapper(inp.provider)
        try:
            if boot.exists(inp.bootstrap_cluster_name):
                boot_path = boot.write_kubeconfig(inp.bootstrap_cluster_name, inp.bootstrap_kubeconfig_path)
                sources["bootstrap"] = str(boot_path)
        except Exception as exc:  # best effort: the bootstrap backend may be down
            log.warning("support bundle: bootstrap backend unreachable", error=str(exc))
        if inp.management_kubeconfig:
            sources["management"] = inp.management_kubeconfig
        if inp.kubeconfig_path.exists():
            sources["cluster"] = str(inp.kubeconfig_path)
        files: dict[str, str] = {}
        reached: list[str] = []
        for label, path in sources.items():
            try:
                for name, text in collect(kube_for(path)).items():
                    files[f"{label}/{name}"] = text
                reached.append(label)
            except Exception as exc:  # best effort: note it and go on
                files[f"{label}/UNREACHABLE.txt"] = f"{type(exc).__name__}: {str(exc)[:500]}"
        files["README.txt"] = (
            f"support bundle of cluster {inp.cluster_name} ({stamp}); clusters: {', '.join(reached) or 'none'}\n"
        )
        write_tarball(bundle, files)
        return SupportBundleResult(bundle_path=str(bundle), clusters=reached)


def write_tarball(path: Path, files: dict[str, str]) -> None:
    private_parents(path)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
        for name, text in sorted(files.items()):
            data = text.encode()
            info = tarfile.TarInfo(name=f"support-bundle/{name}")
            info.size = len(data)
            info.mode = 0o600
            info.mtime = int(time.time())
            tar.addfile(info, io.BytesIO(data))
    os.replace(tmp, path)
