"""Workflow lifecycle rules as pure functions: a transition returns a new Workflow or raises."""

from __future__ import annotations

from datetime import datetime

from .errors import InvalidTransition
from .models import Evidence, Transition, Workflow, WorkflowState

_ORDER = {
    WorkflowState.OPEN: 0,
    WorkflowState.IN_REVIEW: 1,
    WorkflowState.MERGED: 2,
    WorkflowState.VERIFIED: 3,
}


def apply_transition(
    workflow: Workflow,
    to: WorkflowState,
    at: datetime,
    *,
    actor: str | None = None,
    evidence: Evidence | None = None,
) -> Workflow:
    """Move ``workflow`` to ``to``.

    Work moves forward (steps may be skipped: a direct push is merged without a review
    state); ``merged → in_review`` is not allowed, but ``in_review`` may be re-entered after
    changes were requested. Entering the current state again is a no-op, so importers that
    see the same event twice stay idempotent. ``abandoned`` and ``verified`` are final.
    """
    current = workflow.state
    if to == current and to != WorkflowState.VERIFIED:
        return workflow
    if current in (WorkflowState.ABANDONED, WorkflowState.VERIFIED):
        raise InvalidTransition(f"workflow {workflow.key!r} is {current.value}; it cannot become {to.value}")
    if to != WorkflowState.ABANDONED and _ORDER[to] < _ORDER[current]:
        raise InvalidTransition(
            f"workflow {workflow.key!r} is {current.value}; it cannot go back to {to.value}"
        )
    if workflow.transitions and at < workflow.transitions[-1].at:
        last = workflow.transitions[-1]
        raise InvalidTransition(
            f"workflow {workflow.key!r} became {last.state.value} at {last.at.isoformat()}; "
            f"it cannot become {to.value} earlier ({at.isoformat()})"
        )
    transitions = list(workflow.transitions)
    if to == WorkflowState.VERIFIED and workflow.merged_at is None:
        # A verified workflow was merged too (DESIGN.md, defect escape rate).
        transitions.append(Transition(state=WorkflowState.MERGED, at=at, actor=actor))
    transitions.append(Transition(state=to, at=at, actor=actor))
    update: dict = {"state": to, "transitions": tuple(transitions)}
    if to == WorkflowState.VERIFIED:
        update["evidence"] = evidence or Evidence(kind="manual", reviewer=actor)
    return workflow.model_copy(update=update)


def keep_lifecycle(stored: Workflow, incoming: Workflow) -> Workflow:
    """``incoming`` as a whole-document update of ``stored``, without undoing transitions made
    after the caller read its copy (an importer merging attrs while a gate verifies the
    workflow): only ``transition_workflow`` moves a workflow along its lifecycle, so a copy
    with fewer transitions than the stored one keeps the stored state, transitions and evidence.
    """
    if len(incoming.transitions) >= len(stored.transitions):
        return incoming
    return incoming.model_copy(update={"state": stored.state, "transitions": stored.transitions, "evidence": stored.evidence})

