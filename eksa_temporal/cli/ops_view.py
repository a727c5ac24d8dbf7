"""How the operation commands (``status``, ``watch``, ``start --wait``) show an operation:
a rich table of its steps (state, duration, runs, retries, last error) merged with what the
server knows about the running activity (attempt, last failure, heartbeat progress such as
machines ready). Pure rendering; ``ops_cmds`` fetches the data."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from eksa_temporal.client import OperationStatus

_STYLE = {
    "pending": "dim",
    "running": "cyan",
    "awaiting-operator": "yellow",
    "completed": "green",
    "failed": "red",
    "cancelled": "magenta",
}
_MARK = {"completed": "✔", "failed": "✖", "running": "▶", "awaiting-operator": "⏸", "cancelled": "⊘", "pending": "·"}


def _heartbeat_text(hb: Any) -> str:
    if not isinstance(hb, dict):
        return ""
    if "machines_total" in hb:
        return f"machines {hb.get('machines_ready', 0)}/{hb.get('machines_total', 0)}"
    parts = [f"{k}={v}" for k, v in hb.items() if isinstance(v, str | int | float) and k != "resource_version"]
    return ", ".join(parts[:3])


def render(status: OperationStatus) -> Group:
    now = datetime.now(UTC)
    head = Text.assemble(
        (f"{status.operation or 'operation'} ", "bold"),
        (f"{status.cluster} ", "bold"),
        (f"[{status.state}]", _STYLE.get(status.state, "")),
        f"  {status.workflow_id}  {status.ui_url}",
    )
    table = Table(box=None, pad_edge=False, header_style="bold")
    for col in ("step", "state", "duration", "retries", "detail"):
        table.add_column(col)
    pending = {p["step"]: p for p in status.pending}
    progress = status.progress
    rows = (progress.steps + progress.compensation) if progress else []
    for sp in rows:
        state = sp.state.value
        duration = ""
        if sp.started_at is not None:
            end = sp.finished_at or (now if state == "running" else sp.started_at)
            duration = f"{(end - sp.started_at).total_seconds():.1f}s"
        live = pending.get(sp.name, {})
        retries = max(sp.failed_attempts, int(live.get("attempt") or 1) - 1 if live else 0) + max(sp.runs - 1, 0)
        detail = live.get("last_failure") or sp.last_error or _heartbeat_text(live.get("heartbeat"))
        table.add_row(sp.name, Text(f"{_MARK.get(state, '')} {state}", _STYLE.get(state, "")), duration, str(retries), detail or "")
    parts: list[Any] = [head, table]
    if not progress and status.state in ("running", "awaiting-operator"):
        parts.append(Text("(no worker is polling: step details appear once `eksa-temporal worker` runs)", "dim"))
    if status.error:
        parts.append(Text(f"error: {status.error}", "red"))
    if status.state == "awaiting-operator":
        parts.append(Text(f"next: eksa-temporal retry {status.workflow_id}  |  eksa-temporal abort {status.workflow_id}", "yellow"))
    return Group(*parts)


def summary_row(st: OperationStatus) -> list[str]:
    started = st.started_at.strftime("%Y-%m-%d %H:%M:%S") if st.started_at else ""
    return [st.workflow_id, st.operation, st.cluster, st.provider, st.state, started]
