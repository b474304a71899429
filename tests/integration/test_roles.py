"""The role matrix on a real event store: every step × every kind of actor.

Each case takes the `vp` inspection (as the leader) to the state where the step is
allowed by the lifecycle, then lets the actor try it: a permitted actor's step is
recorded with their role; a refused one gets exit code 1 naming the roles the step
needs, and the log does not grow.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from kiemtra.domain.errors import NotOwnUnit, RoleNotPermitted, UnknownActor
from kiemtra.domain.ids import inspection_id
from kiemtra.domain.roles import PERMISSIONS, ActorRole
from kiemtra.workflow.demo import template_text
from kiemtra.workflow.services import Workflow
from kiemtra.workflow.store import EventStore
from tests.conftest import CODE, count_rows, history, plan_text

D = date
ACTORS = {  # actor id in the example plan → the role it is tested as
    "truong-to": ActorRole.LEADER,
    "pho-to": ActorRole.DEPUTY,
    "tv-kt": ActorRole.MEMBER,
    "thuong-truc": ActorRole.SECRETARIAT,
    "vp": ActorRole.UNIT,  # the inspected unit itself
    "kt": ActorRole.UNIT,  # another unit
}

Step = Callable[[Workflow], Any]
TAKE: dict[str, Step] = {
    "notify": lambda w: w.notify(CODE, "vp", on_site=D(2026, 8, 10), day=D(2026, 8, 3)),
    "reschedule": lambda w: w.reschedule(CODE, "vp", on_site=D(2026, 8, 11), day=D(2026, 8, 4),
                                         reason="Trùng lịch họp"),
    "report": lambda w: w.report(CODE, "vp", day=D(2026, 8, 5)),
    "inspect": lambda w: w.inspect(CODE, "vp", day=D(2026, 8, 10)),
    "minutes": lambda w: w.minutes(CODE, "vp", day=D(2026, 8, 10)),
    "conclude": lambda w: w.conclude(CODE, "vp", day=D(2026, 8, 14), findings=["Thiếu sổ"]),
    "remediate": lambda w: w.remediate(CODE, "vp", findings=[1], day=D(2026, 9, 1)),
    "cancel": lambda w: w.cancel(CODE, "vp", reason="Đơn vị sáp nhập", day=D(2026, 8, 3)),
}
BEFORE = {  # the steps the leader takes first so that the tested step is next
    "notify": [], "cancel": [], "reschedule": ["notify"], "report": ["notify"],
    "inspect": ["notify", "report"], "minutes": ["notify", "report", "inspect"],
    "conclude": ["notify", "report", "inspect", "minutes"],
    "remediate": ["notify", "report", "inspect", "minutes", "conclude"],
}


def allowed(actor: str, step: str) -> bool:
    role = ACTORS[actor]
    return role in PERMISSIONS[step] and (role is not ActorRole.UNIT or actor == "vp")


@pytest.mark.parametrize("actor", list(ACTORS))
@pytest.mark.parametrize("step", list(TAKE))
def test_every_step_by_every_role(store: EventStore, wf: Workflow, campaign: str,
                                  db_path: Path, step: str, actor: str) -> None:
    for earlier in BEFORE[step]:
        TAKE[earlier](wf)
    events = count_rows(db_path)
    who = Workflow(store, actor)
    if allowed(actor, step):
        TAKE[step](who)
        last = history(store, CODE, "vp")[-1]
        assert last["step"] == step and last["actor"] == actor
        assert count_rows(db_path) == events + 1
        recorded = list(store.events.get(inspection_id(CODE, "vp")))[-1]
        assert recorded.actor_role == ACTORS[actor].value
    else:
        expected = NotOwnUnit if ACTORS[actor] in PERMISSIONS[step] else RoleNotPermitted
        with pytest.raises(expected) as refused:
            TAKE[step](who)
        assert refused.value.exit_code == 1
        message = refused.value.message("vi")
        assert "phân quyền" in message and actor in message
        if expected is RoleNotPermitted:
            assert "Tổ trưởng" in message  # every step may be taken by the leader
        assert count_rows(db_path) == events


def test_the_matrix_of_the_readme() -> None:
    """The matrix as the issue states it, so a change to PERMISSIONS is a visible decision."""
    rows = {step: {r.value for r in roles} for step, roles in PERMISSIONS.items()}
    assert rows == {
        "import": {"leader", "deputy", "member", "secretariat"},
        "notify": {"leader", "deputy", "secretariat"},
        "reschedule": {"leader", "deputy", "secretariat"},
        "report": {"leader", "deputy", "secretariat", "unit"},
        "inspect": {"leader", "deputy"},
        "minutes": {"leader", "deputy", "member"},
        "conclude": {"leader"},
        "remediate": {"leader", "deputy", "secretariat", "unit"},
        "cancel": {"leader"},
        "document": {"leader", "deputy", "secretariat"},
        "amend": {"leader", "secretariat"},
    }


@pytest.mark.parametrize("actor", ["pho-to", "tv-vp", "thuong-truc"])
def test_the_plan_may_be_imported_by_its_team_or_secretariat(store: EventStore, actor: str,
                                                             db_path: Path) -> None:
    Workflow(store, actor).import_plan(template_text(), "plan.toml", D(2026, 6, 15))
    assert history(store, CODE)[0]["actor"] == actor


@pytest.mark.parametrize("actor", ["vp", "someone-else"])
def test_a_unit_or_a_stranger_may_not_import_the_plan(store: EventStore, actor: str,
                                                      db_path: Path) -> None:
    expected = RoleNotPermitted if actor == "vp" else UnknownActor
    with pytest.raises(expected) as refused:
        Workflow(store, actor).import_plan(template_text(), "plan.toml", D(2026, 6, 15))
    assert refused.value.exit_code == (1 if actor == "vp" else 2)
    assert not db_path.exists() or count_rows(db_path) == 0


def test_an_actor_unknown_to_the_plan_is_bad_input(store: EventStore, campaign: str,
                                                   db_path: Path) -> None:
    events = count_rows(db_path)
    with pytest.raises(UnknownActor) as refused:
        Workflow(store, "root").notify(CODE, "vp", on_site=D(2026, 8, 10), day=D(2026, 8, 3))
    assert refused.value.exit_code == 2
    message = refused.value.message("vi")
    assert "root" in message and "truong-to" in message and "thuong-truc" in message
    assert count_rows(db_path) == events


def test_each_plan_names_its_own_actors(store: EventStore, wf: Workflow, campaign: str) -> None:
    other = plan_text(**{'code = "KTD-TKT-2026"': 'code = "KTD-TKT-2027"',
                         'id = "pho-to"': 'id = "pho-to-2027"'})
    wf.import_plan(other, "p.toml", D(2027, 1, 5))
    Workflow(store, "pho-to").notify(CODE, "vp", on_site=D(2026, 8, 10), day=D(2026, 8, 3))
    with pytest.raises(UnknownActor):
        Workflow(store, "pho-to").notify("KTD-TKT-2027", "vp", on_site=D(2027, 3, 10),
                                         day=D(2027, 3, 2))
