"""The simulated infrastructure: the embedded default and the tests' infrastructure.

A separate process (``eksa-temporal sim serve``) runs a Kubernetes-compatible API emulator
hosting many virtual clusters, plus simulated Cluster API controllers (with a stand-in for
CAPV) and a machine inventory. The lifecycle code talks to it exactly as to real API
servers. Code outside this package uses ``eksa_temporal.simulator.api`` only.
"""
