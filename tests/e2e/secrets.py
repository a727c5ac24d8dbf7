"""The secrets an end-to-end run must never leak, read from their real sources at test
time: the sim's admin token and the bearer token of every kubeconfig under the output
folders. The check itself is ``tests.support.histories.assert_no_secrets``."""

from __future__ import annotations

from pathlib import Path

from tests.support.histories import (
    DecodedHistory,
    assert_no_secrets,
    decoded_history,
    kubeconfig_tokens,
    sim_admin_token,
)

__all__ = ["DecodedHistory", "assert_no_secrets", "decoded_history", "secrets_of"]


def secrets_of(sim_dir: Path, *workdirs: Path) -> dict[str, str]:
    found = {"sim admin token": sim_admin_token(sim_dir)}
    for workdir in workdirs:
        found.update(kubeconfig_tokens(sorted(workdir.rglob("*kubeconfig*"))))
    assert all(len(v) >= 16 for v in found.values()), "a secret looks too short to be a token"
    return found
