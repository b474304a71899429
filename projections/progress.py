"""Progress of long reads, for a person watching a terminal.

A rebuild of the views, the first read after an upgrade, `audit verify`, an export and a
bundle's check walk the whole log: seconds at a province's scale. The loops report how
far they are with `report`; nobody listens unless the command line installed a reporter
(`reporting`), which it does only for a terminal and never under `--json`, so a pipe gets
nothing extra. The work itself never depends on it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

Reporter = Callable[[str, int, "int | None"], None]
"""(what, done, total): `what` is "rebuild", "catch_up", "verify" or "export"; a total of
None is work whose size is not known (a spinner, not a bar); done == total says it is
finished (`finished`), so a bar is gone before the result is printed."""

EVERY = 4096
"""How many events a loop walks between two reports (a report costs a little)."""

_reporter: ContextVar[Reporter | None] = ContextVar("kiemtra_progress", default=None)


def report(what: str, done: int, total: int | None = None) -> None:
    reporter = _reporter.get()
    if reporter is not None:
        reporter(what, done, total)


def finished(what: str) -> None:
    report(what, 1, 1)


@contextmanager
def reporting(reporter: Reporter | None) -> Iterator[None]:
    token = _reporter.set(reporter)
    try:
        yield
    finally:
        _reporter.reset(token)
