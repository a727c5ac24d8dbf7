"""cert-manager's Issuer and Certificate controllers, simulated just enough for
clusterctl's cert-manager probe (a Namespace ``cert-manager-test``, an Issuer
``test-selfsigned`` with ``selfSigned: {}`` and a Certificate ``selfsigned-cert`` in it,
waited on until the Certificate is Ready) and for the Certificates of Cluster API's
components: a ``cert-manager.io/v1`` Certificate in any namespace gets its
``spec.secretName`` Secret (a self-signed key pair) and condition ``Ready=True``; an Issuer
or ClusterIssuer is ``Ready`` when it is ``selfSigned``, or ``ca`` with its Secret present.

Both kinds are reconciled only in a virtual cluster where cert-manager's controller
Deployment (``cert-manager/cert-manager``) is Available.
"""

from __future__ import annotations

import base64

from eksa_temporal.simulator.controllers import objects as o
from eksa_temporal.simulator.controllers import workload as w
from eksa_temporal.simulator.controllers.context import Ctx

CLUSTER_RESOURCE_NAMESPACE = "cert-manager"  # where a ClusterIssuer's Secret lives
SECRET_POLL_SECONDS = 2.0


def reconcile_issuer(ctx: Ctx, issuer: o.Obj) -> float | None:
    """Issuer and ClusterIssuer: ``Ready`` as cert-manager reports a usable issuer."""
    if o.deleting(issuer):
        return None
    sp = o.spec(issuer)
    requeue: float | None = None
    if "selfSigned" in sp:
        ready, reason, message = True, "IsReady", ""
    elif "ca" in sp:
        secret_name = str((sp.get("ca") or {}).get("secretName") or "")
        ns = o.namespace(issuer) or CLUSTER_RESOURCE_NAMESPACE
        found = bool(secret_name) and ctx.get("v1", "Secret", ns, secret_name) is not None
        ready = found
        reason = "KeyPairVerified" if found else "ErrGetKeyPair"
        message = "Signing CA verified" if found else f'secret "{secret_name}" not found'
        requeue = None if found else SECRET_POLL_SECONDS
    else:
        ready, reason = False, "ErrInitIssuer"
        message = "the simulated cert-manager issues with selfSigned and ca issuers only"
    cond = o.condition("Ready", ready, reason, message) | {"reason": reason, "message": message}
    ctx.set_status(issuer, {"conditions": o.merge_conditions(o.status(issuer).get("conditions"), [cond])})
    return requeue


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
