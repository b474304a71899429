"""The lifecycle of one inspection: its states, its steps, and which step may follow which.

`TRANSITIONS` is the one declaration of the workflow, as data; the `transitions`
library's state machine is built from it (once, when first asked: the views, which
only need the names, do not pay for the library) and decides, for a state and a
step, the state the step leads to. The inspection aggregate asks it before it records
a step (`advance`), so what an event says the step led to is always the machine's
answer. Guards look at `StepFacts`, which the aggregate derives from the command and
its own record. Nothing here has side effects: a refused trigger leaves nothing to undo.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
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


class State(StrEnum):
    PLANNED = "planned"
    NOTIFIED = "notified"
    REPORT_SUBMITTED = "report_submitted"
    INSPECTED = "inspected"
    MINUTED = "minuted"
    CONCLUDED = "concluded"
    REMEDIATED = "remediated"
    CANCELLED = "cancelled"


class Step(StrEnum):
    NOTIFY = "notify"
    RESCHEDULE = "reschedule"
    REPORT = "report"
    INSPECT = "inspect"
    MINUTES = "minutes"
    CONCLUDE = "conclude"
    REMEDIATE = "remediate"
    CANCEL = "cancel"


@dataclass(frozen=True)
class StepFacts:
    """What the guards of the lifecycle may look at."""

    is_surprise: bool = False
    report_waived: bool = False
    has_open_findings: bool = False
    closes_all_findings: bool = False


S = State
TRANSITIONS: list[dict[str, Any]] = [
    {"trigger": Step.NOTIFY, "source": S.PLANNED, "dest": S.NOTIFIED},
    {"trigger": Step.RESCHEDULE, "source": [S.NOTIFIED, S.REPORT_SUBMITTED], "dest": "="},
    {"trigger": Step.REPORT, "source": S.NOTIFIED, "dest": S.REPORT_SUBMITTED},
    {"trigger": Step.INSPECT, "source": S.REPORT_SUBMITTED, "dest": S.INSPECTED,
     "unless": ["is_surprise"]},
    {"trigger": Step.INSPECT, "source": S.NOTIFIED, "dest": S.INSPECTED,
     "conditions": ["report_waived"], "unless": ["is_surprise"]},
    {"trigger": Step.INSPECT, "source": S.PLANNED, "dest": S.INSPECTED,
     "conditions": ["is_surprise"]},
    {"trigger": Step.MINUTES, "source": S.INSPECTED, "dest": S.MINUTED},
    {"trigger": Step.CONCLUDE, "source": S.MINUTED, "dest": S.CONCLUDED},
    {"trigger": Step.REMEDIATE, "source": S.CONCLUDED, "dest": S.REMEDIATED,
     "conditions": ["has_open_findings", "closes_all_findings"]},
    {"trigger": Step.REMEDIATE, "source": S.CONCLUDED, "dest": S.CONCLUDED,
     "conditions": ["has_open_findings"], "unless": ["closes_all_findings"]},
    {"trigger": Step.CANCEL, "source": [S.PLANNED, S.NOTIFIED, S.REPORT_SUBMITTED],
     "dest": S.CANCELLED},
]

STEP_ORDER = list(Step)


def steps_from(state: State) -> list[Step]:
    """The steps whose source includes `state`, in workflow order (no guards applied)."""
    found = set()
    for t in TRANSITIONS:
        sources = t["source"] if isinstance(t["source"], list) else [t["source"]]
        if state in sources:
            found.add(t["trigger"])
    return [s for s in STEP_ORDER if s in found]


# --- the machine ----------------------------------------------------------------------


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
def machine() -> Any:
    """The `transitions` machine of `TRANSITIONS` (no automatic `to_<state>` triggers)."""
    from transitions import Machine

    return Machine(model=None, states=[s.value for s in State],
                   transitions=[_plain(t) for t in TRANSITIONS], initial=None,
                   auto_transitions=False, ignore_invalid_triggers=False)


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


def advance(state: State, step: Step, facts: StepFacts, *,
            report_due: date | None = None) -> State:
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


def _guard_refusal(state: State, step: Step, facts: StepFacts,
                   report_due: date | None) -> Exception:
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
