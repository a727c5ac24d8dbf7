"""The controller: EKS-A Cluster objects on a management cluster drive the lifecycle workflows."""
