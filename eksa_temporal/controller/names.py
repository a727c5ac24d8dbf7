"""The names the controller writes on and reads from the management cluster: the finalizer,
the annotations of the running operation, the retry annotation, the Lease, and the
condition types and reasons of a Cluster's status. One place, so the docs, the Deployment's
RBAC and the tests name the same strings."""

from __future__ import annotations

from typing import Final

GROUP: Final = "anywhere.eks.amazonaws.com"
EKSA_API: Final = f"{GROUP}/v1alpha1"
CLUSTER_KIND: Final = "Cluster"

FINALIZER: Final = f"{GROUP}/eksa-temporal"
_PREFIX: Final = f"{GROUP}/eksa-temporal"
WORKFLOW_ANNOTATION: Final = f"{_PREFIX}-workflow"
WORKFLOW_UI_ANNOTATION: Final = f"{_PREFIX}-workflow-ui"
OPERATION_ANNOTATION: Final = f"{_PREFIX}-operation"
STEP_ANNOTATION: Final = f"{_PREFIX}-step"
# written by the user (any new value retries a failed operation of the same spec) ...
RETRY_ANNOTATION: Final = f"{_PREFIX}-retry"
# ... and the value the controller last acted on, written before it starts the retry
RETRY_SEEN_ANNOTATION: Final = f"{_PREFIX}-retry-seen"
# the digest the objects were written with (by the CLI route); informative only here
DIGEST_ANNOTATION: Final = f"{_PREFIX}-spec-digest"
OPERATION_ANNOTATIONS: Final = (WORKFLOW_ANNOTATION, WORKFLOW_UI_ANNOTATION, OPERATION_ANNOTATION, STEP_ANNOTATION)

LEASE_NAME: Final = "eksa-temporal-controller"
LEASE_NAMESPACE: Final = "eksa-system"
LEASE_API: Final = "coordination.k8s.io/v1"

ORIGIN: Final = "controller"
EVENT_SOURCE: Final = "eksa-temporal-controller"

# condition types (EKS-A's)
READY: Final = "Ready"
CONTROL_PLANE_READY: Final = "ControlPlaneReady"
WORKERS_READY: Final = "WorkersReady"
CONDITION_TYPES: Final = (READY, CONTROL_PLANE_READY, WORKERS_READY)

# reasons
INVALID_SPEC: Final = "InvalidSpec"
# EKS-A's reason when objects the Cluster references do not exist (yet)
MISSING_DEPENDENT_OBJECTS: Final = "MissingDependentObjects"
OPERATION_FAILED: Final = "OperationFailed"
OPERATION_RUNNING: Final = {
    "create": "CreateInProgress",
    "upgrade": "UpgradeInProgress",
    "delete": "DeletionInProgress",
}
WAITING: Final = "WaitingForOperation"
CONTROL_PLANE_INIT: Final = "ControlPlaneInitializationInProgress"
ROLLING_UPGRADE: Final = "RollingUpgradeInProgress"
WAITING_FOR_WORKERS: Final = "WaitingForWorkersReady"
