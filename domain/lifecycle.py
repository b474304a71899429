"""The lifecycle of one inspection, as data.

`TRANSITIONS` is the one declaration of which step may follow which; the
workflow builds its `transitions` state machine from it, and the views ask it
for the next step. Condition names refer to `StepFacts` attributes, which the
domain computes from the command and the inspection.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


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
