"""EKS-A's upgrade rollout strategy and autoscaling rules for a ``Cluster``
(``validateCPUpgradeRolloutStrategy``, ``validateMDUpgradeRolloutStrategy``,
``validateAutoscalingConfig``), as findings with EKS-A's messages. Which providers accept
``InPlace`` is a provider rule (``validate_providers``). Called by
``eksa_temporal.spec.validate_cluster.validate_cluster``.
"""

from __future__ import annotations

from eksa_temporal.spec.cluster import (
    Cluster,
    ControlPlaneUpgradeRolloutStrategy,
    WorkerNodeGroupConfiguration,
    WorkerNodesUpgradeRolloutStrategy,
)
from eksa_temporal.spec.rules_util import Collector

CP = "spec.controlPlaneConfiguration"
WORKERS = "spec.workerNodeGroupConfigurations"
STRATEGIES = ("RollingUpdate", "InPlace")


def _is_rolling_update(
    c: Collector,
    path: str,
    what: str,
    strategy: ControlPlaneUpgradeRolloutStrategy | WorkerNodesUpgradeRolloutStrategy,
) -> bool:
    """The checks EKS-A makes on both kinds of strategy: a known type, and no rollingUpdate
    with ``InPlace``. True when the type is RollingUpdate, whose settings are checked next."""
    if strategy.type not in STRATEGIES:
        c.error(
            f"{path}.type",
            f"{what}: only 'RollingUpdate' and 'InPlace' are supported for upgrade rollout strategy type",
            "set type: RollingUpdate or type: InPlace",
        )
        return False
    if strategy.type == "InPlace":
        if strategy.rolling_update is not None:
            c.error(
                f"{path}.rollingUpdate",
                f"{what}: RollingUpdate field must be empty for 'InPlace' upgrade rollout strategy type",
                "remove rollingUpdate",
            )
        return False
    return True


def control_plane_rollout(c: Collector, cluster: Cluster) -> None:
    strategy = cluster.spec.control_plane_configuration.upgrade_rollout_strategy
    if strategy is None:
        return
    path = f"{CP}.upgradeRolloutStrategy"
    if not _is_rolling_update(c, path, "ControlPlaneConfiguration", strategy):
        return
    ru = strategy.rolling_update
    if ru is not None and ru.max_surge < 0:
        c.error(
            f"{path}.rollingUpdate.maxSurge",
            "ControlPlaneConfiguration: maxSurge for control plane cannot be a negative value",
            "use 0 or 1",
        )
    elif ru is not None and ru.max_surge > 1:
        c.error(
            f"{path}.rollingUpdate.maxSurge",
            "ControlPlaneConfiguration: maxSurge for control plane must be 0 or 1",
            "use 0 or 1",
        )


def _group_rollout(c: Collector, path: str, group: WorkerNodeGroupConfiguration) -> None:
    strategy = group.upgrade_rollout_strategy
    if strategy is None:
        return
    path = f"{path}.upgradeRolloutStrategy"
    if not _is_rolling_update(c, path, "WorkerNodeGroupConfiguration", strategy):
        return
    ru = strategy.rolling_update
    if ru is None:
        c.error(
            f"{path}.rollingUpdate",
            "WorkerNodeGroupConfiguration: upgradeRolloutStrategy.rollingUpdate field is required for upgradeRolloutStrategy.type RollingUpdate",
            "add rollingUpdate: {maxSurge: 1, maxUnavailable: 0}",
        )
    elif ru.max_surge < 0 or ru.max_unavailable < 0:
        c.error(
            f"{path}.rollingUpdate",
            "WorkerNodeGroupConfiguration: maxSurge and maxUnavailable values cannot be negative",
            "use 0 or more",
        )
    elif ru.max_surge == 0 and ru.max_unavailable == 0:
        c.error(
            f"{path}.rollingUpdate",
            "WorkerNodeGroupConfiguration: maxSurge and maxUnavailable not specified or are 0. maxSurge and maxUnavailable cannot both be 0",
            "e.g. maxSurge: 1, maxUnavailable: 0",
        )


def _autoscaling(c: Collector, path: str, group: WorkerNodeGroupConfiguration) -> None:
    count = group.count if group.count is not None else 1
    auto = group.autoscaling_configuration
    if auto is None:
        if count < 0:
            c.error(
                f"{path}.count",
                "worker node count must be zero or greater if autoscaling is not enabled",
                "set count >= 0",
            )
        return
    where = f"{path}.autoscalingConfiguration"
    if auto.min_count < 0:
        c.error(f"{where}.minCount", "min count must be non negative", "set minCount >= 0")
    elif auto.min_count > auto.max_count:
        c.error(where, "min count must be no greater than max count", "make minCount <= maxCount")
    elif auto.min_count > count:
        c.error(
            f"{path}.count",
            f"min count must be less than or equal to count (minCount {auto.min_count}, count {count})",
            "raise count or lower minCount",
        )
    elif auto.max_count < count:
        c.error(
            f"{path}.count",
            f"max count must be greater than or equal to count (maxCount {auto.max_count}, count {count})",
            "lower count or raise maxCount",
        )


def worker_rollout_and_scaling(c: Collector, cluster: Cluster) -> None:
    for i, group in enumerate(cluster.workers):
        path = f"{WORKERS}[{i}]"
        _autoscaling(c, path, group)
        _group_rollout(c, path, group)
