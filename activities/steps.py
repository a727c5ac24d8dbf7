"""Stable kebab-case step (activity) names, shared by workflows (``summary=``), the CLI's
``watch`` and the docs, so a name seen in the Web UI greps to exactly one activity.
EKS Anywhere's task names are kept where they exist."""

from __future__ import annotations

# create (management / standalone)
SETUP_VALIDATE = "setup-validate"
BOOTSTRAP_CLUSTER_INIT = "bootstrap-cluster-init"
INSTALL_CAPI_BOOTSTRAP = "install-capi-components-bootstrap"
WORKLOAD_CLUSTER_INIT = "workload-cluster-init"  # apply CAPI objects + wait until Available
WRITE_KUBECONFIG = "write-kubeconfig"
INSTALL_CAPI_WORKLOAD = "install-capi-components-workload"
CAPI_MANAGEMENT_MOVE = "capi-management-move"
WRITE_CLUSTER_CONFIG = "write-cluster-config"
DELETE_KIND_CLUSTER = "delete-kind-cluster"

# create (workload, on an existing management cluster)
SETUP_VALIDATE_CREATE = "setup-validate-create"
CREATE_WORKLOAD_CLUSTER = "create-workload-cluster"

# upgrade
SETUP_VALIDATE_UPGRADE = "setup-validate-upgrade"
BACKUP_CAPI_OBJECTS = "capi-backup"  # clusterctl move --to-directory
REMOVE_CAPI_BACKUP = "capi-backup-remove"  # the backup holds Secrets: gone after success
RESTORE_CAPI_OBJECTS = "capi-restore"  # clusterctl move --from-directory
UPGRADE_CLUSTER = "upgrade-cluster"  # apply the new CAPI objects + wait for the rollout

# delete
SETUP_VALIDATE_DELETE = "setup-validate-delete"
CAPI_MOVE_TO_BOOTSTRAP = "capi-move-to-bootstrap"
DELETE_CLUSTER_OBJECTS = "delete-cluster"  # delete the CAPI Cluster and wait until gone
DELETE_WORKLOAD_CLUSTER = "delete-workload-cluster"

# compensation and diagnostics
CAPI_MOVE_ABORT = "capi-move-abort"  # undo a move that has not started deleting
CLEANUP_INFRASTRUCTURE = "cleanup-infrastructure"
COLLECT_DIAGNOSTICS = "collect-support-bundle"
