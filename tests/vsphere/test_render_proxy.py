"""Proxy settings in the rendered vSphere objects: the spec's proxy URL, its password put
back from the credentials file, lands in the containerd drop-in of the control plane and
of every worker template (cloud-config machines), with the vCenter server and the
control-plane endpoint in NO_PROXY; without a proxy nothing changes."""

from __future__ import annotations

from typing import Any

import yaml

from eksa_temporal.providers.base import RenderContext
from eksa_temporal.providers.proxy import HTTP_PROXY_FILE, RESTART_CONTAINERD
from eksa_temporal.providers.vsphere import VSphereProvider
from eksa_temporal.spec.proxy import PLACEHOLDER, split_credentials, with_credentials

from .specs import SimInfo, documents, load

SIM = SimInfo(server="vc.example.com:8443", thumbprint="2c:11:ed:d7", user="u", password="p")
CTX = RenderContext(namespace="eksa-system", credentials_secret="alpha-vsphere-credentials")
PASSWORD = "Pw-Zq8vT3nK0mLp2RxY"


def _docs(proxy: bool) -> list[dict[str, Any]]:
    docs = documents(SIM)
    if proxy:
        docs[0]["spec"]["proxyConfiguration"] = {
            "httpProxy": f"http://px:{PASSWORD}@10.0.0.1:3128",
            "httpsProxy": f"http://px:{PASSWORD}@10.0.0.1:3128",
            "noProxy": ["10.20.0.0/16"],
        }
    return docs


def _kubeadm_specs(objects: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out = {}
    for o in objects:
        if o["kind"] == "KubeadmControlPlane":
            out[o["metadata"]["name"]] = o["spec"]["kubeadmConfigSpec"]
        elif o["kind"] == "KubeadmConfigTemplate":
            out[o["metadata"]["name"]] = o["spec"]["template"]["spec"]
    return out


def test_the_proxy_password_reaches_every_kubeadm_config_from_the_credentials() -> None:
    text, passwords = split_credentials(yaml.safe_dump_all(_docs(proxy=True)))
    assert PASSWORD not in text and PLACEHOLDER in text and passwords == {"httpProxy": PASSWORD, "httpsProxy": PASSWORD}
    spec = with_credentials(load(list(yaml.safe_load_all(text))), passwords)
    specs = _kubeadm_specs(VSphereProvider().render_capi_objects(spec, CTX))
    assert len(specs) == 2
    for kspec in specs.values():
        [drop_in] = [f for f in kspec["files"] if f["path"] == HTTP_PROXY_FILE]
        assert f'HTTP_PROXY=http://px:{PASSWORD}@10.0.0.1:3128"' in drop_in["content"]
        no_proxy = drop_in["content"].split('NO_PROXY=')[1].split('"')[0].split(",")
        assert {"10.20.0.0/16", "192.168.0.0/16", "10.96.0.0/12", "vc.example.com:8443", "127.0.0.201", ".svc"} <= set(no_proxy)
        assert kspec["preKubeadmCommands"][-2:] == RESTART_CONTAINERD


def test_without_a_proxy_nothing_is_added() -> None:
    specs = _kubeadm_specs(VSphereProvider().render_capi_objects(load(_docs(proxy=False)), CTX))
    for kspec in specs.values():
        assert all(f["path"] != HTTP_PROXY_FILE for f in kspec.get("files", []))
        assert not set(RESTART_CONTAINERD) & set(kspec["preKubeadmCommands"])
