"""Renders an operation's progress as the markdown table the Web UI shows under Current
Details (``workflow.set_current_details``). Pure and deterministic (timestamps come from the progress model)."""

from __future__ import annotations

from eksa_temporal.workflows.models import OperationProgress, StepProgress, StepState

_ICON = {
    StepState.PENDING: "·",
    StepState.RUNNING: "▶",
    StepState.AWAITING_OPERATOR: "⏸",
    StepState.COMPLETED: "✔",
    StepState.FAILED: "✖",
    StepState.CANCELLED: "⊘",
}


def _duration(sp: StepProgress) -> str:
    if sp.started_at is None:
        return ""
    if sp.finished_at is None:
        return f"since {sp.started_at:%H:%M:%S}Z"
    end = sp.finished_at
    return f"{(end - sp.started_at).total_seconds():.1f}s"


def _rows(table: list[StepProgress]) -> list[str]:
    rows = []
    for sp in table:
        err = (sp.last_error or "").replace("|", "\\|")
        rows.append(
            f"| {sp.name} | {_ICON[sp.state]} {sp.state.value} | {_duration(sp)} | "
            f"{sp.runs} | {sp.failed_attempts} | {err} |"
        )
    return rows


def render_details(p: OperationProgress) -> str:
    lines = [
        f"**{p.operation}** cluster `{p.namespace}/{p.cluster}` ({p.provider or 'unknown'}) — "
        f"phase **{p.phase.value}**" + (f", step `{p.current_step}`" if p.current_step else ""),
        "",
    ]
    if p.error:
        lines += [f"> {p.error}", ""]
    header = ["| step | state | duration | runs | failed attempts | last error |", "|---|---|---|---|---|---|"]
    lines += header + _rows(p.steps)
    if p.compensation:
        lines += ["", "**compensation and diagnostics**", "", *header, *_rows(p.compensation)]
    if p.phase.value == "awaiting-operator":
        lines += ["", "Run `eksa-temporal retry <id>` to re-run the step or `eksa-temporal abort <id>` to clean up and stop."]
    return "\n".join(lines)
