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
from typing import Any, Protocol

from kiemtra.domain.ledger import FAILED, SENT, evolve_delivery, new_delivery
from kiemtra.domain.record import evolve
from kiemtra.domain.topics import CAMPAIGN, DELIVERY, INSPECTION, kind_of
from kiemtra.projections.flat_json import deep_flat_decode, flat_decode
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

    def flush(self) -> None: ...


def finished(record: dict[str, Any]) -> bool:
    """No step can follow (the same answer as `next_step(record)[0] is None`, cheaper)."""
    state = record["state"]
    if state == "remediated" or state == "cancelled":
        return True
    return state == "concluded" and all(f.get("remediated_on") for f in record["findings"])


class Fold:
    def __init__(self, sink: Sink, *, rows: dict[str, Row] | None = None,
                 deliveries: dict[str, Delivery] | None = None, evict: bool = False,
                 reread: Callable[[str, int], list[Event]] | None = None) -> None:
        self.sink = sink
        self.rows = rows if rows is not None else {}
        self.deliveries = deliveries if deliveries is not None else {}
        self.evict = evict
        self.reread = reread
        self.written: dict[str, tuple[int, int, str]] = {}  # evicted: (version, seq, name)
        self.superseded: list[tuple[str, int]] = []  # (stream, version) written too early
        self.routes: dict[str, Callable[[int, str, int, str, bytes], None]] = {}

    def feed(self, events: Iterable[Event], hook: Hook | None = None) -> int:
        """Fold `events`; returns how many were read (other streams' events included)."""
        count = 0
        for count, (position, oid, version, topic, state) in enumerate(events, 1):
            route = self.routes.get(topic)
            if route is None:
                route = self.routes[topic] = self._route(topic)
            route(position, oid, version, topic, state)
            if hook is not None:
                hook("event", count)
        return count

    def close(self) -> None:
        """Write the rows still open (or, catching up, every row touched)."""
        for row in self.rows.values():
            self.sink.inspection(row)
        for oid, (version, record) in self.deliveries.items():
            self.sink.delivery(delivery_to_row(oid, version, record))
        self.sink.flush()

    # --- per kind of event ------------------------------------------------------------

    def _route(self, topic: str) -> Callable[[int, str, int, str, bytes], None]:
        kind, _ = kind_of(topic) or ("", "")
        if kind == INSPECTION:
            return self._inspection_event
        if kind == CAMPAIGN:
            return self._plan_imported
        if kind == DELIVERY:
            return self._delivery_event
        return self._other_event

    def _other_event(self, position: int, oid: str, version: int, topic: str,
                     state: bytes) -> None:
        """Not a view's: other streams' events are read and counted, nothing more."""

    def _plan_imported(self, position: int, oid: str, version: int, topic: str,
                       state: bytes) -> None:
        data = deep_flat_decode(state)  # dates as ISO text, as the view stores them
        self.sink.campaign(campaign_row(position, data))
        self.rows.update(plan_rows(data["code"], data["plan"]["units"]))

    def _inspection_event(self, position: int, oid: str, version: int, topic: str,
                          state: bytes) -> None:
        row = self.rows.get(oid)
        if row is None:
            if oid in self.written:
                self._reopen(oid, position)  # folds this event too
                return
            row = self.rows[oid] = orphan_row(oid, flat_decode(state))
        if version <= row.version:  # applied before: a replay from an earlier position
            return
        evolve(row.record, kind_of(topic)[1], flat_decode(state))  # type: ignore[index]
        row.version = version
        if self.evict and finished(row.record):
            del self.rows[oid]
            self.written[oid] = (version, row.seq, row.unit_name)
            self.sink.inspection(row)

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
            evolve(row.record, kind_of(topic)[1], flat_decode(state))  # type: ignore[index]
            row.version = event_version

    def _delivery_event(self, position: int, oid: str, version: int, topic: str,
                        state: bytes) -> None:
        name = kind_of(topic)[1]  # type: ignore[index]
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
