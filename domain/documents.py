"""The official documents a campaign issues, and their number register (sổ đăng ký văn bản).

Four kinds of document are made from the recorded steps (see DOCUMENTS.md): the schedule
notice and the conclusion notice (series TB), the minutes of a visit (BB), all three
issued by the inspection team, and the results report (BC), issued by the People's
Committee. Each kind can be made only once the step it reports on is recorded.

Numbers follow ND 30/2020, Điều 15: one series per kind of document, per issuing body and
calendar year, from 01 on 1 January, each number used once and in the order of the
documents' dates. A `DocumentSeries` aggregate holds one such series: its stream id comes
from (body, series, year), so two processes that take the same next number write the
same stream version and the event store refuses the second (it then tries again).
What was issued is recorded on the campaign (`Campaign.DocumentIssued`), so the
campaign's trail and bundle carry its documents; both events are saved together.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from kiemtra.domain.errors import InvalidInput, RuleViolation
from kiemtra.domain.ids import NAMESPACE
from kiemtra.domain.topics import assign
from kiemtra.domain.vocabulary import step_label


class Kind(StrEnum):
    SCHEDULE = "schedule"
    MINUTES = "minutes"
    CONCLUSION = "conclusion"
    RESULTS = "results"


class Issuer(StrEnum):
    TEAM = "team"  # Tổ kiểm tra
    COMMITTEE = "committee"  # Ủy ban nhân dân


@dataclass(frozen=True)
class KindInfo:
    issuer: Issuer  # (its series, TB, BB, BC: the plan's, `plan.DEFAULT_SERIES`)
    step: str  # the step that must be recorded first (its command name)
    vi: str  # the document type as printed
    en: str
    slug: str  # the file name's first part


KINDS: dict[Kind, KindInfo] = {
    Kind.SCHEDULE: KindInfo(Issuer.TEAM, "notify", "Thông báo lịch kiểm tra",
                            "Inspection schedule notice", "thong-bao-lich-kiem-tra"),
    Kind.MINUTES: KindInfo(Issuer.TEAM, "inspect", "Biên bản kiểm tra",
                           "Inspection minutes", "bien-ban-kiem-tra"),
    Kind.CONCLUSION: KindInfo(Issuer.TEAM, "conclude",
                              "Thông báo kết luận kiểm tra", "Inspection conclusion notice",
                              "thong-bao-ket-luan-kiem-tra"),
    Kind.RESULTS: KindInfo(Issuer.COMMITTEE, "inspect",
                           "Báo cáo kết quả kiểm tra", "Inspection results report",
                           "bao-cao-ket-qua-kiem-tra"),
}


def symbol(number: int | None, series: str, issuer_symbol: str) -> str:
    """'05/TB-TKT' (numbers below 10 zero-padded, ND 30 Phụ lục I); a draft's '…/TB-TKT'."""
    shown = "…" if number is None else f"{number:02d}"
    return f"{shown}/{series}-{issuer_symbol}"


def series_id(body: str, series: str, year: int) -> UUID:
    """The stream of one series: the issuing body as printed (case and spacing aside)."""
    key = " ".join(unicodedata.normalize("NFC", body).casefold().split())
    return uuid5(NAMESPACE, f"document-series/{key}/{series.casefold()}/{year}")


# --- refusals ----------------------------------------------------------------------------


class DocumentNotReady(RuleViolation):
    rule = "document_step"
    vi = ("Chưa thể lập {kind_name}{for_unit}: bước “{step_name}” ({step}) chưa được ghi "
          "nhận (quy tắc: văn bản chỉ lập từ các bước đã ghi nhận).")
    en = ("The {kind_name}{for_unit} cannot be made yet: the step '{step_name}' ({step}) is "
          "not recorded (rule: a document is made only from recorded steps).")

    def extra_values(self, lang: str, names: Any) -> dict[str, str]:
        info = KINDS[Kind(self.params["kind"])]
        unit = self.params.get("unit")
        return {"kind_name": info.vi if lang == "vi" else info.en.lower(),
                "step_name": step_label(self.params["step"], lang),
                "for_unit": "" if not unit else (f" của đơn vị {unit}" if lang == "vi"
                                                 else f" of unit {unit}")}


class DocumentDateTooEarly(RuleViolation):
    rule = "document_date"
    vi = ("Ngày ban hành {day} sớm hơn {what} ({earliest}) (quy tắc: số văn bản cấp theo "
          "thứ tự thời gian, và văn bản không ghi ngày trước sự việc nó ghi nhận). Ngày sớm "
          "nhất được phép: {earliest}.")
    en = ("The issue date {day} is earlier than {what} ({earliest}) (rule: numbers run in "
          "date order, and a document is not dated before what it records). Earliest "
          "allowed: {earliest}.")


class UnitRequired(InvalidInput):
    rule = "document_unit"
    vi = "{kind_name} lập cho một đơn vị: hãy cho biết mã đơn vị."
    en = "The {kind_name} is made for one unit: give the unit's code."

    def extra_values(self, lang: str, names: Any) -> dict[str, str]:
        info = KINDS[Kind(self.params["kind"])]
        return {"kind_name": info.vi if lang == "vi" else info.en}


class UnitNotExpected(InvalidInput):
    rule = "document_unit"
    vi = "Báo cáo kết quả kiểm tra lập cho cả kế hoạch: không ghi mã đơn vị."
    en = "The results report covers the whole campaign: give no unit."


# --- the register ------------------------------------------------------------------------


@assign
class DocumentSeries(Aggregate):
    """One series of numbers: (issuing body, series, year). Its events are the register."""

    @staticmethod
    def create_id(body: str, series: str, year: int) -> UUID:  # type: ignore[override]
        return series_id(body, series, year)

    @event("Opened")
    def __init__(self, body: str, series: str, year: int) -> None:
        self.body, self.series, self.year = body, series, year
        self.taken = 0
        self.last_date: date | None = None

    @property
    def next_number(self) -> int:
        return self.taken + 1

    def take(self, *, number: int, issued_on: date, campaign: str, kind: str,
             unit: str | None) -> None:
        """Take `number` (the next one) for a document dated `issued_on`."""
        assert number == self.next_number and issued_on.year == self.year
        if self.last_date is not None and issued_on < self.last_date:
            raise DocumentDateTooEarly(
                day=issued_on, earliest=self.last_date,
                what=(f"ngày của văn bản số {self.taken:02d} cùng sổ {self.series}",
                      f"the date of number {self.taken:02d} of the same {self.series} series"))
        self._number_taken(number=number, issued_on=issued_on, campaign=campaign, kind=kind,
                           unit=unit)

    @event("NumberTaken")
    def _number_taken(self, number: int, issued_on: date, campaign: str, kind: str,
                      unit: str | None) -> None:
        self.taken = number
        self.last_date = issued_on
