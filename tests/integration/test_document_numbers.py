"""Issuing a numbered document while another process issues one of the same series: the
file of the number the other took is not a file "in the way" (a refusal, exit 2), but a
sign that this attempt's number is stale, as a lost save is."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from kiemtra.domain.documents import Kind
from kiemtra.workflow.database import Database
from kiemtra.workflow.documents import Paper, Render, issue
from kiemtra.workflow.errors import OutputExists
from kiemtra.workflow.store import EventStore, open_store
from tests.conftest import count_rows

DAY = date(2026, 8, 3)


def issue_schedule(store: EventStore, render: Render) -> Paper:
    return issue(store, "thuong-truc", "KTD-TKT-2026", Kind.SCHEDULE, "kt", issued_on=DAY,
                 earliest=DAY, facts_through=store.head_position(), render=render)


def checked_render(folder: Path) -> Render:
    """As the documents service renders: refuses a file already there (no --force)."""

    def render(number: int | None, symbol: str) -> tuple[str, bytes]:
        path = folder / f"thong-bao-{number:02d}.docx"
        if path.exists():
            raise OutputExists(path=str(path))
        return path.name, symbol.encode()

    return render


def test_the_file_of_a_number_another_process_took_meanwhile_means_take_the_next(
        store: EventStore, campaign: str, db_path: Path, tmp_path: Path) -> None:
    other = open_store(Database(str(db_path)))
    attempts: list[int | None] = []
    render = checked_render(tmp_path)

    def racing(number: int | None, symbol: str) -> tuple[str, bytes]:
        attempts.append(number)
        if len(attempts) == 1:  # another process takes this number and places its file
            theirs = issue_schedule(other, checked_render(tmp_path))
            (tmp_path / theirs.name).write_bytes(theirs.content)
        return render(number, symbol)

    try:
        mine = issue_schedule(store, racing)
    finally:
        other.close()
    assert attempts == [1, 2]
    assert (mine.number, mine.symbol.split("/")[0]) == (2, "02")


def test_a_file_really_in_the_way_is_refused_and_nothing_is_recorded(
        store: EventStore, campaign: str, db_path: Path, tmp_path: Path) -> None:
    (tmp_path / "thong-bao-01.docx").write_bytes(b"a file of the official's own")
    before = count_rows(db_path)
    with pytest.raises(OutputExists):
        issue_schedule(store, checked_render(tmp_path))
    assert count_rows(db_path) == before
    assert issue_schedule(store, lambda number, symbol: (f"{number}.docx", b"x")).number == 1
