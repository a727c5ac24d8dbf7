"""Bootstrap data for the host access tests, in the shape the kubeadm bootstrap provider
writes (``## template: jinja`` + ``#cloud-config``, ``write_files`` and ``runcmd``)."""

from __future__ import annotations

import base64

CA_KEY = "-----BEGIN RSA PRIVATE KEY-----\nc3RhbmQtaW4gY2Ega2V5\n-----END RSA PRIVATE KEY-----\n"
MOTD = "provisioned by eksa-temporal\n"


def control_plane_data(extra_runcmd: str = "", *, verb: str = "init") -> str:
    config = "/run/kubeadm/kubeadm.yaml" if verb == "init" else "/run/kubeadm/kubeadm-join-config.yaml"
    extra = f"- {extra_runcmd}\n" if extra_runcmd else ""
    return f"""## template: jinja
#cloud-config
write_files:
- path: /etc/kubernetes/pki/ca.key
  owner: root:root
  permissions: '0600'
  content: |
{_indent(CA_KEY, 4)}
- path: /etc/eksa/motd
  encoding: b64
  permissions: '0644'
  content: {base64.b64encode(MOTD.encode()).decode()}
- path: {config}
  owner: root:root
  permissions: '0640'
  content: |
    nodeRegistration:
      name: '{{{{ ds.meta_data.local_hostname }}}}'
runcmd:
- systemctl enable --now containerd
{extra}- 'kubeadm {verb} --config {config}'
- [systemctl, restart, kubelet]
- mkdir -p /run/cluster-api && echo success > /run/cluster-api/bootstrap-success.complete
users:
- name: capv
"""


def _indent(text: str, n: int) -> str:
    return "".join(" " * n + line + "\n" for line in text.splitlines())
