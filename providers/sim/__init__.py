"""The ``sim`` provider: clusters on the simulated infrastructure (``eksa_temporal.simulator``),
reached only through the simulator's public API (``eksa_temporal.simulator.api``)."""
