"""The secrets a run must never leak, and a check for them: the sim's admin token and
the bearer token of every kubeconfig under the output folder."""

from __future__ import annotations

import base64
import contextlib
import json
from pathlib import Path

import yaml


def secrets_of(sim_dir: Path, *workdirs: Path) -> dict[str, str]:
    found = {"sim admin token": (sim_dir / "admin-token").read_text().strip()}
    for workdir in workdirs:
        for kc in sorted(workdir.rglob("*kubeconfig*")):
            doc = yaml.safe_load(kc.read_text()) or {}
            for user in doc.get("users") or []:
                token = (user.get("user") or {}).get("token")
                if token:
                    found[f"token of {kc.name}"] = str(token)
    assert all(len(v) >= 16 for v in found.values()), "a secret looks too short to be a token"
    return found


def assert_no_secret(text: str, secrets: dict[str, str], *, where: str) -> None:
    for label, value in secrets.items():
        assert value not in text, f"{label} leaked into {where}"


def history_text(history_json: str) -> str:
    """The history JSON plus every payload decoded (payload data is base64 in the JSON, so
    a plain grep would never see a leaked value)."""
    decoded: list[str] = [history_json]

    def walk(node: object) -> None:
        if isinstance(node, dict):
            data = node.get("data")
            if isinstance(data, str) and "metadata" in node:
                with contextlib.suppress(ValueError):
                    decoded.append(base64.b64decode(data).decode("utf-8", errors="replace"))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(history_json))
    return "\n".join(decoded)
