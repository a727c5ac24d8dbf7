"""The ``sim`` provider: simulated infrastructure for the embedded default and the tests.

A separate process (``eksa-temporal sim serve``) runs a Kubernetes-compatible API emulator
hosting many virtual clusters, plus simulated Cluster API controllers and a machine
inventory. The lifecycle code talks to it exactly as to real API servers.
"""
