"""Text rendering of a deploy plan and run for the shell commands."""

from __future__ import annotations

from designer.models import DeployRun
from designer.services.deploy import Plan

EXIT_OK, EXIT_FAILED, EXIT_UNVERIFIED, EXIT_REFUSED, EXIT_DRIFT = 0, 1, 2, 3, 1


def plan_text(plan: Plan) -> str:
    title = f"Plan for {plan.project.name}"
    if plan.reverts is not None:
        title = f"Rollback of deploy #{plan.reverts.number} of {plan.project.name}"
    lines = [
        f"{title} → schema {plan.schema}",
        f"From: {'version ' + str(plan.from_version.version_number) if plan.from_version else 'nothing deployed'}",
        f"Changes: {plan.summary}",
        f"Risk: {plan.risk}",
    ]
    for name, figures in sorted(plan.tables.items()):
        lines.append(f"  live {name}: {figures['rows']} rows, {figures['size']}")
    for warning in plan.warnings:
        lines.append(f"  ! {warning}")
    lines.append("")
    for n, st in enumerate(plan.forward, start=1):
        flags = ", ".join(x for x in ("rewrites" if st.rewrites else "", "scans" if st.scans else "") if x)
        lines.append(
            f"-- {n}. [{st.risk}] lock {st.lock}{'; ' + flags if flags else ''}{'; ' + st.note if st.note else ''}"
        )
        lines.append(st.sql)
    if not plan.forward:
        lines.append("-- Nothing to deploy: the target already matches the design.")
    return "\n".join(lines)


def run_text(run: DeployRun) -> str:
    lines = [f"{run.get_kind_display()} #{run.number}: {run.get_status_display()} in {run.duration_ms} ms"]
    if run.error:
        lines += [f"Error: {run.error}", f"Failing statement: {run.failed_statement}"]
    lines += [f"  differs: {d}" for d in run.verification]
    return "\n".join(lines)


def exit_code(run: DeployRun) -> int:
    return {"succeeded": EXIT_OK, "failed": EXIT_FAILED, "failed_verification": EXIT_UNVERIFIED}.get(run.status, 1)
