"""eksa-temporal: EKS Anywhere-style cluster lifecycle as durable Temporal workflows.

The public Python surface: the cluster spec (``eksa_temporal.spec``), the client API for
starting and following operations (``eksa_temporal.client``) and the CLI
(``eksa_temporal.cli``). Workflows, activities and providers live in their own top-level
packages (``workflows``, ``activities``, ``providers``).
"""

__version__ = "0.1.0"
