"""The projector: keeps the view tables equal to the event log, each event applied once.

It pulls events after its tracked position (the SQLite recorder cannot push), in
batches. A batch is read, folded (`fold.py`) and written with its new tracking position
in one transaction that holds the views' write lock (`backends.py`), so a crash at any
point leaves the views before or after the batch — never half-applied — and two
processes catching up at once apply each event once. As a second guard each row
remembers the version of the last event of its stream applied to it.

A rebuild drops the views and folds the whole log in one pass, in one transaction.
`refresh` rebuilds views that are missing, of another layout, or far behind the log
(the first read after an upgrade or a bulk load), and otherwise catches up — deciding
under the lock, so two processes do not both rebuild.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

from kiemtra.domain.topics import DELIVERY, INSPECTION, kind_of
from kiemtra.projections import schema
from kiemtra.projections.backends import LAYOUT, STATUS, Session
from kiemtra.projections.fold import Event, Fold, Hook
from kiemtra.projections.progress import finished, report

# `refresh` rebuilds views that trail the log by REBUILD_FROM events or more, when that
# is also a REBUILD_SHARE-th of the log or more; fewer new events are caught up.
REBUILD_FROM = 10_000
REBUILD_SHARE = 10


def far_behind(position: int, head: int) -> bool:
    """Views at `position` of a log ending at `head` are cheaper to rebuild than to catch up.

    Positions, not counts: on PostgreSQL ids have gaps (a sequence is not rolled back), so
    `head - position` may overstate the events behind by the few ids failed writes used.
    An estimate either way: both paths give the same views, and each event is applied
    once (the catch-up reads what is there after `position`, not `head - position` rows).
    The catch-up's progress total is the same estimate."""
    behind = head - position
    return behind >= REBUILD_FROM and behind * REBUILD_SHARE >= head


class Backend(Protocol):
    def locked(self) -> Any:
        """A context giving a `Session`: one transaction holding the views' write lock."""

    def marks_and_head(self) -> tuple[dict[str, int], int]:
        """The tracking marks ({} if none) and the head of the log, read without the lock."""


class Projector:
    def __init__(self, backend: Backend, *, batch_size: int = 2000,
                 hook: Hook | None = None) -> None:
        self.backend = backend
        self.batch_size = batch_size
        self.hook = hook

    def ensure_tables(self) -> None:
        """Make the views if they are missing; replace views of another layout."""
        with self.backend.locked() as session:
            if not _current(session.marks()):
                session.reset()

    def catch_up(self) -> int:
        """Apply every event recorded after the tracked position; returns how many."""
        applied = 0
        while True:
            marks, head = self.backend.marks_and_head()
            if _current(marks) and marks.get(STATUS, 0) >= head:
                finished("catch_up")
                return applied
            report("catch_up", applied, applied + head - (marks or {}).get(STATUS, 0))
            with self.backend.locked() as session:
                if not _current(session.marks()):
                    session.reset()
                start = (session.marks() or {}).get(STATUS, 0)  # again, under the lock
                events = list(session.events_after(start, self.batch_size))
                if not events:
                    finished("catch_up")
                    return applied
                self.apply(session, start, events)
                applied += len(events)

    def refresh(self) -> int:
        """Bring the views up to date the cheaper way; returns how many events were read."""
        with self.backend.locked() as session:
            marks = session.marks()
            if not _current(marks) or far_behind((marks or {}).get(STATUS, 0), session.head()):
                return self._rebuild(session)
        return self.catch_up()

    def rebuild(self) -> int:
        """Drop every view and fold the whole log again, in one transaction."""
        with self.backend.locked() as session:
            return self._rebuild(session)

    # --- inside the caller's transaction ----------------------------------------------

    def apply(self, session: Session, start: int, events: Sequence[Event]) -> None:
        """Fold one batch into the rows it touches and move the position past it."""
        inspections, deliveries = set(), set()
        for _, oid, _, topic, _ in events:
            kind, name = kind_of(topic) or ("", "")
            if kind == INSPECTION:
                inspections.add(oid)
            elif kind == DELIVERY and name != "Claimed":
                deliveries.add(oid)
        fold = Fold(session.sink(replace=True), rows=session.load_rows(inspections),
                    deliveries=session.load_deliveries(deliveries),
                    broken=session.broken_streams())
        fold.feed(events, self.hook)
        fold.close()
        if self.hook:
            self.hook("written", len(events))
        session.move(start, events[-1][0])

    def _rebuild(self, session: Session) -> int:
        report("rebuild", 0)  # folded in one pass, on two cores: a spinner, not a bar
        with session.loading(), _gc_paused():
            session.reset()
            head = session.head()
            if not head:
                return 0
            with session.without_indexes():
                count = session.fold_log(head)
        session.move(0, head)
        finished("rebuild")
        return count


def _current(marks: dict[str, int] | None) -> bool:
    return marks is not None and marks.get(LAYOUT) == schema.SCHEMA_VERSION


@contextmanager
def _gc_paused() -> Iterator[None]:
    """The fold makes millions of short-lived dicts and no cycles: the cyclic collector
    would only rescan the open streams again and again (a tenth of the time)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


__all__ = ["Projector", "far_behind"]
