"""Who may take which step: the team's roles from the plan.

The check lives in the domain, not in the CLI, so any front end enforces the
same matrix; the CLI itself trusts the OS account it runs under (see README).
An actor is a team member id, the secretariat's id, or a unit code acting for
itself; the plan guarantees these ids are distinct.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from kiemtra.domain.errors import NotOwnUnit, RoleNotPermitted, UnknownActor
from kiemtra.domain.plan import Plan


class ActorRole(StrEnum):
    LEADER = "leader"
    DEPUTY = "deputy"
    MEMBER = "member"
    SECRETARIAT = "secretariat"
    UNIT = "unit"


IMPORT, AMEND = "import", "amend"
"""The actions of recording a plan and a new version of it; the other actions are the
lifecycle's steps."""

_EVERY_ROLE_BUT_UNIT = frozenset(ActorRole) - {ActorRole.UNIT}
_LEADERS = frozenset({ActorRole.LEADER, ActorRole.DEPUTY})

PERMISSIONS: dict[str, frozenset[ActorRole]] = {
    IMPORT: _EVERY_ROLE_BUT_UNIT,
    "notify": _LEADERS | {ActorRole.SECRETARIAT},
    "reschedule": _LEADERS | {ActorRole.SECRETARIAT},
    "report": _LEADERS | {ActorRole.SECRETARIAT, ActorRole.UNIT},
    "inspect": _LEADERS,
    "minutes": _LEADERS | {ActorRole.MEMBER},
    "conclude": frozenset({ActorRole.LEADER}),
    "remediate": _LEADERS | {ActorRole.SECRETARIAT, ActorRole.UNIT},
    "cancel": frozenset({ActorRole.LEADER}),
    "document": _LEADERS | {ActorRole.SECRETARIAT},
    AMEND: frozenset({ActorRole.LEADER, ActorRole.SECRETARIAT}),
}
"""The matrix of the README: leader every step; deputy all but conclude and cancel;
secretariat notify, reschedule, report, remediate; member minutes; unit its own
report and remediation; documents are issued by the leaders and the secretariat (the
văn thư's side of the team); a plan is amended by its leader or its secretariat."""

ROLE_ORDER = tuple(ActorRole)


@dataclass(frozen=True)
class Actor:
    id: str
    role: ActorRole
    name: str


def identify(plan: Plan, actor_id: str) -> Actor:
    """The plan's actor with this id; UnknownActor (exit 2) if the plan names nobody so."""
    for member in plan.team:
        if member.id == actor_id:
            return Actor(member.id, ActorRole(member.role.value), member.name)
    if plan.secretariat.id == actor_id:
        return Actor(actor_id, ActorRole.SECRETARIAT, plan.secretariat.name)
    for unit in plan.units:
        if unit.code == actor_id:
            return Actor(unit.code, ActorRole.UNIT, unit.name)
    raise UnknownActor(
        actor=actor_id, campaign=plan.code, team=", ".join(m.id for m in plan.team),
        secretariat=plan.secretariat.id, units=", ".join(u.code for u in plan.units),
    )


def authorize(plan: Plan, actor_id: str, action: str, unit: str | None = None) -> Actor:
    """The actor, if their role may take `action` (on `unit`); refuses otherwise."""
    actor = identify(plan, actor_id)
    allowed = PERMISSIONS[action]
    if actor.role not in allowed:
        raise RoleNotPermitted(actor=actor.id, role=actor.role, step=action,
                               allowed=[r for r in ROLE_ORDER if r in allowed])
    if actor.role is ActorRole.UNIT and unit is not None and unit != actor.id:
        raise NotOwnUnit(actor=actor.id, step=action, unit=unit)
    return actor


UNDO, CORRECT = "undo", "correct"


def authorize_change(plan: Plan, actor_id: str, step: str, unit: str,
                     action: str = UNDO) -> Actor:
    """Who may retract or correct a step: whoever may take it — the leader any, the deputy
    all but a conclusion or a cancellation, the secretariat its own steps, a member the
    minutes — except that a unit may change only its own report (not its remediation)."""
    actor = identify(plan, actor_id)
    allowed = set(PERMISSIONS[step]) - ({ActorRole.UNIT} if step != "report" else set())
    if actor.role not in allowed:
        raise RoleNotPermitted(actor=actor.id, role=actor.role, step=action,
                               allowed=[r for r in ROLE_ORDER if r in allowed])
    if actor.role is ActorRole.UNIT and unit != actor.id:
        raise NotOwnUnit(actor=actor.id, step=action, unit=unit)
    return actor


def actor_fields(actor: Actor) -> dict[str, str]:
    """What every workflow event records of who acted."""
    return {"actor": actor.id, "actor_role": actor.role.value}
