"""Workflows: one module per lifecycle operation (create, upgrade, delete) whose ``run`` reads
like the runbook, a small step runner they share (``runner``), and the pydantic models of
their inputs, results, queries and updates (``models``). Registered by ``worker.py``."""
