"""The state machine: every transition of the README's workflow diagram, every refusal."""

from __future__ import annotations

import itertools

import pytest

from kiemtra.domain.errors import (
    NothingToRemediate,
    NoticeRequired,
    ReportRequired,
    StepNotAllowed,
    SurpriseNotAllowed,
)
from kiemtra.domain.lifecycle import TRANSITIONS, State, Step, StepFacts, advance, allowed_steps

S = State
ALLOWED = [
    (S.PLANNED, Step.NOTIFY, StepFacts(), S.NOTIFIED),
    (S.PLANNED, Step.INSPECT, StepFacts(is_surprise=True), S.INSPECTED),
    (S.PLANNED, Step.CANCEL, StepFacts(), S.CANCELLED),
    (S.NOTIFIED, Step.RESCHEDULE, StepFacts(), S.NOTIFIED),
    (S.NOTIFIED, Step.REPORT, StepFacts(), S.REPORT_SUBMITTED),
    (S.NOTIFIED, Step.INSPECT, StepFacts(report_waived=True), S.INSPECTED),
    (S.NOTIFIED, Step.CANCEL, StepFacts(), S.CANCELLED),
    (S.REPORT_SUBMITTED, Step.RESCHEDULE, StepFacts(), S.REPORT_SUBMITTED),
    (S.REPORT_SUBMITTED, Step.INSPECT, StepFacts(), S.INSPECTED),
    (S.REPORT_SUBMITTED, Step.CANCEL, StepFacts(), S.CANCELLED),
    (S.INSPECTED, Step.MINUTES, StepFacts(), S.MINUTED),
    (S.MINUTED, Step.CONCLUDE, StepFacts(), S.CONCLUDED),
    (S.CONCLUDED, Step.REMEDIATE, StepFacts(has_open_findings=True), S.CONCLUDED),
    (S.CONCLUDED, Step.REMEDIATE,
     StepFacts(has_open_findings=True, closes_all_findings=True), S.REMEDIATED),
]


@pytest.mark.parametrize(("state", "step", "facts", "dest"), ALLOWED)
def test_allowed_transitions(state: State, step: Step, facts: StepFacts, dest: State) -> None:
    assert advance(state, step, facts) is dest


def test_the_table_has_exactly_the_designed_pairs() -> None:
    designed = {(state, step) for state, step, _, _ in ALLOWED}
    assert {(state, step) for state in State for step in allowed_steps(state)} == designed
    assert len(TRANSITIONS) == 11


@pytest.mark.parametrize(
    ("state", "step"),
    [(state, step) for state, step in itertools.product(State, Step)
     if step not in allowed_steps(state)],
)
def test_out_of_order_steps_are_refused_naming_state_and_next_steps(
    state: State, step: Step
) -> None:
    with pytest.raises(StepNotAllowed) as refused:
        advance(state, step, StepFacts(is_surprise=True, report_waived=True,
                                       has_open_findings=True))
    assert refused.value.exit_code == 1
    assert refused.value.params["state"] == state
    assert refused.value.params["allowed"] == [str(s) for s in allowed_steps(state)]
    message = refused.value.message("en")
    assert f"'{state}'" in message and f"'{step}'" in message


def test_terminal_states_have_no_next_step() -> None:
    assert allowed_steps(S.REMEDIATED) == [] and allowed_steps(S.CANCELLED) == []
    with pytest.raises(StepNotAllowed) as refused:
        advance(S.CANCELLED, Step.NOTIFY, StepFacts())
    assert "không có" in refused.value.message("vi")


def test_guards_name_their_rule() -> None:
    with pytest.raises(NoticeRequired):
        advance(S.PLANNED, Step.INSPECT, StepFacts())
    with pytest.raises(ReportRequired):
        advance(S.NOTIFIED, Step.INSPECT, StepFacts())
    with pytest.raises(SurpriseNotAllowed):
        advance(S.NOTIFIED, Step.INSPECT, StepFacts(is_surprise=True, report_waived=True))
    with pytest.raises(SurpriseNotAllowed):
        advance(S.REPORT_SUBMITTED, Step.INSPECT, StepFacts(is_surprise=True))
    with pytest.raises(NothingToRemediate):
        advance(S.CONCLUDED, Step.REMEDIATE, StepFacts())
