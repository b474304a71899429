"""The leader's override of a date rule, given with a reason and kept in the event.

A few date rules protect the unit and the plan rather than the order of the steps: the
notice period, the working day left for the unit's report, no step before the plan was
issued, no visit outside the plan's period. Real life sometimes needs a visit sooner (a
merger, a deadline from the province); the team leader, and only the leader, may then
accept the date, with a reason that the trail shows beside the step. Every other rule
(the order of the steps, the date order) has no override.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from kiemtra.domain.errors import (
    OVERRIDE_RULES_EN,
    OVERRIDE_RULES_VI,
    OverrideByLeaderOnly,
    OverrideNotNeeded,
    RuleViolation,
)
from kiemtra.domain.roles import Actor, ActorRole
from kiemtra.domain.rules import PlanDates
from kiemtra.domain.text import clean_text

OVERRIDABLE = frozenset({"notice_period", "report_window", "before_plan", "outside_period"})

Check = Callable[[], None]


@dataclass(frozen=True)
class Bounds:
    """What a step's dates are held to beyond the rules: the plan's dates, and who may
    set a date rule aside (the leader) with which reason, if one was given."""

    dates: PlanDates
    leader: str
    override: str | None = None


def checked(checks: Sequence[Check], override: str | None, actor: Actor,
            leader: str) -> dict[str, Any] | None:
    """Run the date `checks`. Without `override`, the first refusal is raised. With it,
    the refusals of overridable rules are set aside when the actor is the leader, and
    returned to be recorded (`{"reason", "rules"}`); an override nothing needed, or given
    by anyone else, is refused, so that the trail never shows a meaningless one."""
    refused: list[str] = []
    for check in checks:
        try:
            check()
        except RuleViolation as exc:
            if override is None or exc.rule not in OVERRIDABLE:
                raise
            if exc.rule not in refused:  # two checks may find the same rule broken
                refused.append(exc.rule)
    if override is None:
        return None
    reason = clean_text("override", override)
    if not refused:
        raise OverrideNotNeeded()
    if actor.role is not ActorRole.LEADER:
        raise OverrideByLeaderOnly(leader=leader, rules=refused)
    return {"reason": reason, "rules": refused}


def override_words(override: dict[str, Any], lang: str) -> str:
    """The leader's override of a date rule, beside the step it let through."""
    names = OVERRIDE_RULES_VI if lang == "vi" else OVERRIDE_RULES_EN
    rules = ", ".join(names.get(rule, rule) for rule in override["rules"])
    return (f" — Tổ trưởng cho phép ngoài quy định ({rules}), lý do: {override['reason']}"
            if lang == "vi" else
            f" — the leader accepted it outside the rules ({rules}), reason: "
            f"{override['reason']}")
