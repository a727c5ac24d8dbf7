"""cert-manager's Certificate controller, simulated just enough for clusterctl's
cert-manager probe (create an Issuer and a Certificate, wait until it is Ready): a
``cert-manager.io/v1`` Certificate gets its ``spec.secretName`` Secret (a self-signed
key pair) and condition ``Ready=True``.
"""

from __future__ import annotations

import base64

from eksa_temporal.simulator.controllers import objects as o
from eksa_temporal.simulator.controllers import workload as w
from eksa_temporal.simulator.controllers.context import Ctx


def reconcile_certificate(ctx: Ctx, cert: o.Obj) -> float | None:
    if o.deleting(cert):
        return None
    secret_name = o.spec(cert).get("secretName")
    if secret_name and ctx.get("v1", "Secret", o.namespace(cert), str(secret_name)) is None:
        pair = w.keypair(str(o.spec(cert).get("commonName") or o.name(cert)), "cert")
        ctx.create(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "type": "kubernetes.io/tls",
                "metadata": {
                    "name": secret_name,
                    "namespace": o.namespace(cert),
                    "annotations": {"cert-manager.io/certificate-name": o.name(cert)},
                },
                "data": {
                    "tls.crt": base64.b64encode(pair["tls.crt"]).decode(),
                    "tls.key": base64.b64encode(pair["tls.key"]).decode(),
                    "ca.crt": base64.b64encode(pair["tls.crt"]).decode(),
                },
            }
        )
    ctx.set_status(
        cert,
        {
            "conditions": o.merge_conditions(
                o.status(cert).get("conditions"),
                [o.condition("Ready", True) | {"reason": "Ready", "message": "Certificate is up to date and has not expired"}],
            ),
            "revision": 1,
        },
    )
    return None
