"""The SSH hosts provider's CAPI infrastructure component as package data
(``infrastructure-components.yaml``: its namespace and the ``SSHCluster``,
``SSHMachineTemplate`` and ``SSHMachine`` CRDs - no controller Deployment, the worker
reconciles these kinds itself)."""
