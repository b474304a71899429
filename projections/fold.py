"""Folding stored events into the views' rows: one fold, for catching up and for rebuilding.

Events come in log order as `(position, stream id, version, topic, payload)`, exactly as
stored. Inspections are evolved by `domain.record.evolve` and deliveries by
`domain.delivery.evolve_delivery` — the functions the aggregates use — from payloads
decoded flat (dates as ISO text, `flat_json.py`); finished rows go to a `Sink`.

Catching up, the fold starts from the rows of the streams a batch touches (`rows`,
`deliveries`) and writes them all back at the end. Rebuilding, it starts from nothing
and `evict`s each stream the moment it can take no further step (an inspection once
remediated, cancelled or concluded without findings; a delivery once sent or failed for
good): its row is written and forgotten, so memory holds only the streams still open. A
stream that takes a step after all (kiemtra never records one today) is folded again
from its own events (`reread`), and the row written for it earlier is superseded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from typing import Any, Protocol

import orjson

from kiemtra.domain.ledger import FAILED, SENT, evolve_delivery, new_delivery
from kiemtra.domain.record import evolver
from kiemtra.domain.topics import CAMPAIGN, DELIVERY, INSPECTION, kind_of, of_events
from kiemtra.projections.flat_json import flat_decode, flat_decoder
from kiemtra.projections.rows import Row, campaign_row, delivery_to_row, orphan_row, plan_rows

Event = tuple[int, str, int, str, bytes]
"""A stored event as the fold reads it: (position, stream id as hex, version, topic,
payload)."""
Delivery = tuple[int, dict[str, Any]]  # (version, ledger record)
Hook = Callable[[str, int], None]  # (point, events folded so far) — for fault tests


class Sink(Protocol):
    """Where rows go: the view tables of one transaction."""

    def inspection(self, row: Row) -> None: ...

    def campaign(self, row: dict[str, Any]) -> None: ...

    def delivery(self, row: dict[str, Any]) -> None: ...

    def unreadable(self, row: dict[str, Any]) -> None:
        """An event skipped because it no longer decodes (position, stream, topic)."""

    def campaign_amended(self, row: dict[str, Any]) -> None:
        """The campaign's row (written before) takes `row`'s values but its position."""

    def remove(self, originator_id: str) -> None:
        """The inspection's row and deadlines go (its unit left the plan)."""

    def flush(self) -> None: ...


AMENDED_SEQ = 100_000  # the place of the units of amendment N: from N × this (plans are small)
FINISHING = frozenset({"remediated", "cancelled", "concluded"})  # states that may end one


def finished(record: dict[str, Any]) -> bool:
    """No step can follow (the same answer as `next_step(record)[0] is None`, cheaper)."""
    state = record["state"]
    if state == "remediated" or state == "cancelled":
        return True
    return state == "concluded" and all(f.get("remediated_on") for f in record["findings"])


Route = Callable[[int, str, int, bytes], None]  # (position, stream, version, payload)


PLAN_TOPICS = of_events("PlanImported", "PlanAmended")
"""The events every fold reads, whichever streams it owns (`parts.py`)."""

UNREADABLE = (ValueError, KeyError, TypeError, AttributeError)
"""What a stored event that no longer decodes raises when folded (orjson's error is a
ValueError): a reader skips it and goes on; `audit verify` names its position."""


class Fold:
    def __init__(self, sink: Sink, *, rows: dict[str, Row] | None = None,
                 deliveries: dict[str, Delivery] | None = None, evict: bool = False,
                 reread: Callable[[str, int], list[Event]] | None = None,
                 owns: Callable[[str], bool] | None = None, campaigns: bool = True,
                 broken: set[str] | None = None) -> None:
        """`owns`: the streams this fold writes, when another process folds the others
        (`parts.py`); `campaigns`: whether it writes the campaigns' rows too; `broken`:
        the streams with an event skipped already (by an earlier batch)."""
        self.sink = sink
        self.owns = owns
        self.campaigns = campaigns
        self.rows = rows if rows is not None else {}
        self.deliveries = deliveries if deliveries is not None else {}
        self.evict = evict
        self.reread = reread
        self.written: dict[str, tuple[int, int, str]] = {}  # evicted: (version, seq, name)
        self.superseded: list[tuple[str, int]] = []  # (stream, version) written too early
        self.routes: dict[str, Route] = {}
        self.plans = 0  # PlanImported events read
        self.campaign_rows: dict[str, dict[str, Any]] = {}  # by code_key: the latest plan's
        self.amended_rows: dict[str, dict[str, Any]] = {}  # amended, imported before
        self.unreadable: list[int] = []  # positions of events that no longer decode
        self.broken = broken if broken is not None else set()  # streams with one skipped

    def feed(self, events: Iterable[Event], hook: Hook | None = None) -> int:
        """Fold `events`; returns how many were read (other streams' events included).
        This loop runs once per event of a province's log: it is kept bare."""
        count = 0
        routes = self.routes
        broken = self.broken
        for position, oid, version, topic, state in events:
            route = routes.get(topic)
            if route is None:
                route = routes[topic] = self._route(topic)
            try:
                if oid in broken:  # after a skipped event, a stream's state is unknown
                    raise KeyError(oid)
                route(position, oid, version, state)
            except UNREADABLE:  # an altered or damaged event: the views go on without it
                self._skipped(position, oid, topic)
            count += 1
            if hook is not None:
                hook("event", count)
        return count

    def _skipped(self, position: int, oid: str, topic: str) -> None:
        """Recorded once: a plan is read by both processes of a rebuild on two cores, and
        counted by the one writing the campaigns (`parts.py`)."""
        self.unreadable.append(position)
        self.broken.add(oid)
        if self.campaigns or topic not in PLAN_TOPICS:
            self.sink.unreadable({"position": position, "originator_id": oid,
                                  "topic": str(topic)})

    def close(self) -> None:
        """Write the rows still open (or, catching up, every row touched)."""
        for campaign in self.campaign_rows.values():
            self.sink.campaign(campaign)
        for campaign in self.amended_rows.values():
            self.sink.campaign_amended(campaign)
        for row in self.rows.values():
            self.sink.inspection(row)
        for oid, (version, record) in self.deliveries.items():
            self.sink.delivery(delivery_to_row(oid, version, record))
        self.sink.flush()

    # --- per kind of event ------------------------------------------------------------

    def _route(self, topic: str) -> Route:
        """The handler of a topic's events, bound to what it needs for that kind of event."""
        kind, name = kind_of(topic) or ("", "")
        if kind == INSPECTION:
            return self._withdrawn if name == "Withdrawn" else self._inspection_route(name)
        if kind == CAMPAIGN and name == "PlanImported":
            return self._plan_imported
        if kind == CAMPAIGN and name == "PlanAmended":
            return self._plan_amended
        if kind == DELIVERY:
            return partial(self._delivery_event, name)
        return self._other_event

    def _other_event(self, position: int, oid: str, version: int, state: bytes) -> None:
        """Not a view's: other streams' events are read and counted, nothing more."""

    def _plan_imported(self, position: int, oid: str, version: int, state: bytes) -> None:
        self.plans += 1  # counted first: a plan that no longer decodes was read too
        data = orjson.loads(state)  # the few dates it uses are read as their text
        self._plan(position, data, data["plan"]["units"])

    def _plan_amended(self, position: int, oid: str, version: int, state: bytes) -> None:
        """A new version of a plan: the campaign's row points at it, its new units get
        their rows (a unit that left the plan goes with its own `Withdrawn` event)."""
        self.plans += 1  # read by both processes of a parallel rebuild, like an import
        data = orjson.loads(state)
        self._plan(position, data, data["plan"]["units"], set(data["added"]),
                   base=AMENDED_SEQ * (int(data["plan_version"]) - 1))

    def _plan(self, position: int, data: dict[str, Any], units: list[dict[str, Any]],
              only: set[str] | None = None, base: int = 0) -> None:
        """A plan imported (`only` None) or amended (`only`: the units it adds). An
        amendment keeps the campaign's place (the import's position) and points the row
        at the new plan; a row not in this fold is updated in place at `close`."""
        if self.campaigns:
            row = campaign_row(position, data)
            known = self.campaign_rows.get(row["code_key"])
            if only is None:
                self.campaign_rows[row["code_key"]] = row
            elif known is not None:
                known.update({k: v for k, v in row.items() if k != "position"})
            else:
                self.amended_rows[row["code_key"]] = row
        rows = plan_rows(data["code"], units, only, base)
        owns = self.owns
        self.rows.update(rows if owns is None else
                         {oid: row for oid, row in rows.items() if owns(oid)})

    def _withdrawn(self, position: int, oid: str, version: int, state: bytes) -> None:
        self.rows.pop(oid, None)
        self.sink.remove(oid)

    def _inspection_route(self, name: str) -> Route:
        """The handler of one kind of inspection event (a closure over what it uses: the
        fold's inner loop calls it for most events of the log)."""
        rows, written, sink, evict = self.rows, self.written, self.sink, self.evict
        apply, decode = evolver(name), flat_decoder(name)

        def event(position: int, oid: str, version: int, state: bytes) -> None:
            row = rows.get(oid)
            if row is None:
                if oid in written:
                    self._reopen(oid, position)  # folds this event too
                    return
                row = rows[oid] = orphan_row(oid, flat_decode(state))
            if version <= row.version:  # applied before: a replay from an earlier position
                return
            record = row.record
            apply(record, decode(state))
            row.version = version
            if evict and record["state"] in FINISHING and finished(record):
                del rows[oid]
                written[oid] = (version, row.seq, row.unit_name)
                sink.inspection(row)

        return event

    def _reopen(self, oid: str, position: int) -> None:
        """An evicted stream took another step: fold its events again, up to this one."""
        version, seq, name = self.written.pop(oid)
        self.superseded.append((oid, version))
        if self.reread is None:
            msg = f"stream {oid} takes a step after it was finished"
            raise RuntimeError(msg)
        events = self.reread(oid, position)
        first = flat_decode(events[0][4])
        row = Row(oid, orphan_row(oid, first).record, 0, first["campaign"].casefold(), seq,
                  name)
        self.rows[oid] = row
        for _, _, event_version, topic, state in events:
            evolver(kind_of(topic)[1])(row.record, flat_decode(state))  # type: ignore[index]
            row.version = event_version

    def _delivery_event(self, name: str, position: int, oid: str, version: int,
                        state: bytes) -> None:
        data = flat_decode(state)
        known = self.deliveries.get(oid)
        if oid in self.written:
            self.superseded.append((oid, self.written.pop(oid)[0]))
            known = self._refold_delivery(oid, position)
        if name == "Claimed":
            if known is not None:
                return  # applied before
            record = new_delivery(data)
        elif known is None or version <= known[0]:
            return  # applied before, or a delivery whose claim was never seen
        else:
            record = known[1]
            evolve_delivery(record, name, data)
        if self.evict and record["state"] in (SENT, FAILED):
            self.deliveries.pop(oid, None)
            self.written[oid] = (version, 0, "")
            self.sink.delivery(delivery_to_row(oid, version, record))
        else:
            self.deliveries[oid] = (version, record)

    def _refold_delivery(self, oid: str, position: int) -> Delivery | None:
        """A delivery written as finished took another step: its record before this one."""
        if self.reread is None:
            msg = f"delivery {oid} takes a step after it was finished"
            raise RuntimeError(msg)
        known: Delivery | None = None
        for _, _, version, topic, state in self.reread(oid, position - 1):
            name, data = kind_of(topic)[1], flat_decode(state)  # type: ignore[index]
            if name == "Claimed":
                known = (version, new_delivery(data))
            elif known is not None:
                evolve_delivery(known[1], name, data)
                known = (version, known[1])
        return known
