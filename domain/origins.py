"""Which commune each stream of the log belongs to: its origin.

One deployment may hold many communes' campaigns (a province hosting them on one
PostgreSQL). The hash chain is kept per commune as well as for the whole log
(`domain/chain.py`), so that a commune's reviewer verifies that commune's events alone.
A campaign's origin is the issuing authority its plan names (`authority`, "Ủy ban nhân
dân xã Khúc Thừa Dụ"), as written, in Unicode NFC with its spaces collapsed, so that two
spellings of the same name that look alike are one origin. Every other stream belongs to
its campaign's origin: a unit's inspection, a reminder's delivery, a register of document
numbers (the campaign whose document opened it). A stream's origin is fixed by its first
event and never changes (the event store keeps it, `workflow/store.py`).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any
from uuid import UUID

from kiemtra.domain.campaign import Campaign
from kiemtra.domain.ids import campaign_id, inspection_id
from kiemtra.domain.topics import kind_of

PLAN_EVENTS = {("campaign", "PlanImported"), ("campaign", "PlanAmended")}

NO_ORIGIN = ""
"""The origin of a stream of a database from before the chains per commune whose
campaign cannot be found in the log (never written by kiemtra, but not lost either)."""


def origin_name(authority: str) -> str:
    return " ".join(unicodedata.normalize("NFC", authority).split())


TONES = frozenset("\u0300\u0301\u0303\u0309\u0323")  # huyền, sắc, ngã, hỏi, nặng


def spelling_key(name: str) -> tuple[tuple[str, str], ...]:
    """What two spellings of one name share: each word's letters without case, and its
    tone mark wherever it sits ("Uỷ"/"Ủy", "Hoà"/"Hòa", "ỦY BAN"/"Ủy ban" are one name;
    "Hòa"/"Hóa" are two)."""
    words = []
    for word in origin_name(name).split():
        letters = unicodedata.normalize("NFD", word)
        tone = "".join(c for c in letters if c in TONES)
        base = unicodedata.normalize("NFC", "".join(c for c in letters if c not in TONES))
        words.append((base.casefold(), tone))
    return tuple(words)


def campaign_of(aggregate: Any) -> str | None:
    """The campaign code an aggregate belongs to, where it says so itself."""
    if isinstance(aggregate, Campaign):
        return str(aggregate.code)
    record = getattr(aggregate, "record", None)
    code = record.get("campaign") if isinstance(record, Mapping) else None
    return str(code) if code is not None else None


def new_stream_origins(aggregates: Iterable[Any], created: Collection[UUID],
                       origin_of_campaign: Callable[[str], str | None]) -> dict[UUID, str]:
    """The origin of each new stream (`created`) among aggregates saved together: a new
    campaign's from its plan, the others' from their campaign's stream, as it was given it
    (`origin_of_campaign(code)`: an amendment may rename the authority, never the
    campaign's commune), or else from the campaign saved with them (a register of
    numbers, saved with the campaign whose document it numbers). A stream whose campaign
    has no origin gets none: the recorder refuses it."""
    aggregates = list(aggregates)
    own: dict[str, str | None] = {
        str(a.code).casefold(): origin_name(str(a.plan_record["authority"]))
        for a in aggregates if isinstance(a, Campaign) and a.id in created}
    for a in aggregates:
        if isinstance(a, Campaign) and a.id not in created:
            own[str(a.code).casefold()] = origin_of_campaign(str(a.code))
    found = {}
    for aggregate in aggregates:
        if aggregate.id not in created:
            continue
        code = campaign_of(aggregate)
        if code is None:
            code = next(iter(own), None)
            if code is None:
                continue
        key = code.casefold()
        if key not in own:
            own[key] = origin_of_campaign(code)
        origin = own[key]
        if origin is not None:
            found[aggregate.id] = origin
    return found


class LogOrigins:
    """The origin of every stream of a log written before the chains per commune, from
    what its events say, seen one by one in position order (`see`: stream id as 32 hex
    digits, version, stored topic, decoded payload): a campaign's plan names its authority
    and units (an amendment adds units), a delivery names its campaign, a register's first
    number names the campaign of its document. Streams found nowhere get NO_ORIGIN."""

    def __init__(self) -> None:
        self.by_campaign: dict[str, str] = {}
        self.found: dict[str, str] = {}
        self.streams: list[str] = []

    def see(self, stream: str, version: int, topic: str, data: Mapping[str, Any]) -> None:
        if version == 1:
            self.streams.append(stream)
        plan = data.get("plan") if kind_of(topic) in PLAN_EVENTS else None
        if isinstance(plan, Mapping):
            code = str(plan.get("code", data.get("code", "")))
            origin = self.by_campaign.setdefault(code.casefold(),
                                                 origin_name(str(plan.get("authority", ""))))
            self.found.setdefault(campaign_id(code).hex, origin)
            for unit in plan.get("units") or ():
                if isinstance(unit, Mapping):
                    self.found.setdefault(inspection_id(code, str(unit.get("code"))).hex,
                                          origin)
        elif stream not in self.found and "campaign" in data:
            owner = self.by_campaign.get(str(data["campaign"]).casefold())
            if owner is not None:
                self.found[stream] = owner

    def origins(self) -> dict[str, str]:
        return {stream: self.found.get(stream, NO_ORIGIN) for stream in self.streams}
