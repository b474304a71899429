"""The inspection state machine, built once with `transitions` from the domain's table.

The machine decides whether a step may be taken and which state it leads to;
the guards are the domain's facts about the command and the inspection.
Nothing here has side effects, so a refused trigger leaves nothing to undo.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from threading import Lock
from typing import Any

from kiemtra.domain.errors import (
    NothingToRemediate,
    NoticeRequired,
    ReportRequired,
    StepNotAllowed,
    SurpriseNotAllowed,
)
from kiemtra.domain.lifecycle import TRANSITIONS, State, Step, StepFacts, steps_from
from transitions import Machine


class _Probe:
    """The machine's model: the current state and the facts of the command at hand.

    One probe is registered once and reused under a lock: registering a model
    binds every trigger to it, which would cost more than the decision itself.
    """

    state: str

    def __init__(self) -> None:
        self.facts = StepFacts()

    def is_surprise(self) -> bool:
        return self.facts.is_surprise

    def report_waived(self) -> bool:
        return self.facts.report_waived

    def has_open_findings(self) -> bool:
        return self.facts.has_open_findings

    def closes_all_findings(self) -> bool:
        return self.facts.closes_all_findings


@cache
def machine() -> Machine:
    return Machine(
        model=None,
        states=[s.value for s in State],
        transitions=[_plain(t) for t in TRANSITIONS],
        initial=None,
        auto_transitions=False,
        ignore_invalid_triggers=False,
    )


@cache
def _probe() -> _Probe:
    probe = _Probe()
    machine().add_model(probe, initial=str(State.PLANNED))
    return probe


_LOCK = Lock()


def _plain(transition: dict[str, Any]) -> dict[str, Any]:
    """Enum members as plain strings: `transitions` would name Enum states by `.name`."""
    def plain(value: Any) -> Any:
        return [str(v) for v in value] if isinstance(value, list) else str(value)

    return {k: v if k in ("conditions", "unless") else plain(v) for k, v in transition.items()}


@cache
def _allowed(state: State) -> tuple[Step, ...]:
    triggers = set(machine().get_triggers(str(state)))
    return tuple(s for s in steps_from(state) if str(s) in triggers)


def allowed_steps(state: State) -> list[Step]:
    """Steps the machine has a transition for from `state` (before guards)."""
    return list(_allowed(state))


def advance(
    state: State, step: Step, facts: StepFacts, *, report_due: date | None = None
) -> State:
    """The state `step` leads to from `state`, or the refusal that names the rule."""
    if step not in allowed_steps(state):
        raise StepNotAllowed(state=str(state), step=str(step),
                             allowed=[str(s) for s in allowed_steps(state)])
    dest = _decide(state, step, facts)
    if dest is None:
        raise _guard_refusal(state, step, facts, report_due)
    return dest


@cache
def _decide(state: State, step: Step, facts: StepFacts) -> State | None:
    """What the machine says; remembered, since it depends on nothing else."""
    with _LOCK:
        probe = _probe()
        probe.facts = facts
        machine().set_state(str(state), model=probe)
        if probe.trigger(str(step)):  # type: ignore[attr-defined]
            return State(probe.state)
    return None


def _guard_refusal(
    state: State, step: Step, facts: StepFacts, report_due: date | None
) -> Exception:
    if step is Step.INSPECT:
        if state is State.PLANNED:
            return NoticeRequired()
        if facts.is_surprise:
            return SurpriseNotAllowed()
        return ReportRequired(report_due=report_due or "-")
    if step is Step.REMEDIATE:
        return NothingToRemediate()
    return StepNotAllowed(state=str(state), step=str(step),  # pragma: no cover - table guard
                          allowed=[str(s) for s in allowed_steps(state)])
