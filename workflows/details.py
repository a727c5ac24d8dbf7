"""Renders an operation's progress as the markdown table the Web UI shows under Current
Details (``workflow.set_current_details``). Pure: the runner passes ``workflow.now()``."""

from __future__ import annotations

from datetime import datetime

from workflows.models import OperationProgress, StepProgress, StepState

_ICON = {
    StepState.PENDING: "·",
    StepState.RUNNING: "▶",
    StepState.AWAITING_OPERATOR: "⏸",
    StepState.COMPLETED: "✔",
    StepState.FAILED: "✖",
    StepState.CANCELLED: "⊘",
}


def _duration(sp: StepProgress, now: datetime) -> str:
    if sp.started_at is None:
        return ""
    end = sp.finished_at or now
    return f"{(end - sp.started_at).total_seconds():.1f}s"


def _rows(table: list[StepProgress], now: datetime) -> list[str]:
    rows = []
    for sp in table:
        err = (sp.last_error or "").replace("|", "\\|")
        rows.append(
            f"| {sp.name} | {_ICON[sp.state]} {sp.state.value} | {_duration(sp, now)} | "
            f"{sp.runs} | {sp.failed_attempts} | {err} |"
        )
    return rows


def render_details(p: OperationProgress, now: datetime) -> str:
    lines = [
        f"**{p.operation}** cluster `{p.namespace}/{p.cluster}` ({p.provider or 'unknown'}) — "
        f"phase **{p.phase.value}**" + (f", step `{p.current_step}`" if p.current_step else ""),
        "",
    ]
    if p.error:
        lines += [f"> {p.error}", ""]
    header = ["| step | state | duration | runs | failed attempts | last error |", "|---|---|---|---|---|---|"]
    lines += header + _rows(p.steps, now)
    if p.compensation:
        lines += ["", "**compensation and diagnostics**", "", *header, *_rows(p.compensation, now)]
    if p.phase.value == "awaiting-operator":
        lines += ["", "Run `eksa-temporal retry <id>` to re-run the step or `eksa-temporal abort <id>` to clean up and stop."]
    return "\n".join(lines)
