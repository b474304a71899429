"""A campaign's plan (Kế hoạch tự kiểm tra): its value objects and their validation.

`parse_plan` takes the TOML text a team leader wrote and either returns a
`Plan` or raises `InvalidPlan` listing every field that is wrong, so the user
fixes the file in one pass. Nothing here touches a database.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from kiemtra.domain.calendar import WorkingCalendar
from kiemtra.domain.errors import InvalidPlan, Problem, UnknownMember, UnknownUnit
from kiemtra.domain.formats import EARLIEST as EARLIEST_DATE
from kiemtra.domain.formats import LATEST as LATEST_DATE
from kiemtra.domain.formats import YEARS
from kiemtra.domain.rules import DayKind, Period, PlanDates, Rules
from kiemtra.domain.text import FORBIDDEN, decoded_words
from kiemtra.domain.toml_file import load_toml

MAX_DAYS = 365
CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,39}$")



class Role(StrEnum):
    LEADER = "leader"
    DEPUTY = "deputy"
    MEMBER = "member"


@dataclass(frozen=True)
class Member:
    id: str
    role: Role
    name: str
    email: str
    title: str = ""


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    email: str
    head: str = ""
    planned_on_site: date | None = None
    place: str = ""  # where the visit takes place (địa điểm); default: the unit's premises

    @property
    def visit_place(self) -> str:
        return self.place or f"Trụ sở {self.name}"


@dataclass(frozen=True)
class Secretariat:
    id: str
    name: str
    email: str


DOCUMENT_KINDS = ("schedule", "minutes", "conclusion", "results")
DEFAULT_SERIES = {"schedule": "TB", "minutes": "BB", "conclusion": "TB", "results": "BC"}
SYMBOL_PATTERN = re.compile(r"^[A-ZĐ0-9][A-ZĐ0-9.]{0,19}$")
TIME_PATTERN = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
LOCAL_LEVELS = ("xã", "phường", "thị trấn", "đặc khu")


@dataclass(frozen=True)
class Signer:
    """Who signs: the authority line (TM., KT. …), the position, the full name."""

    authority: str
    title: str
    name: str = ""


@dataclass(frozen=True)
class Paperwork:
    """What the plan says for the documents kiemtra issues (`[documents]`); every field has
    a default derived from the rest of the plan, so a plan without the table still works."""

    parent_body: str = ""  # the body the team belongs to, as its name is printed
    team_name: str = "Tổ kiểm tra"
    team_symbol: str = "TKT"  # after the series in the team's numbers: 05/TB-TKT
    body_symbol: str = "UBND"  # after the series in the committee's numbers: 03/BC-UBND
    series: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_SERIES))
    leader_position: str = "Tổ trưởng"
    committee_signer: Signer = Signer("KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH")
    secretary: str = ""  # a team member's id: who writes the minutes (thư ký)
    visit_time: str = "08:00"
    filing: str = "VT"  # "Lưu: VT, VHXH."
    recipients: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Plan:
    code: str
    title: str
    authority: str
    period_start: date
    period_end: date
    secretariat: Secretariat
    team: tuple[Member, ...]
    units: tuple[Unit, ...]
    rules: Rules = Rules()
    place: str = ""
    number: str = ""
    issued_on: date | None = None
    data_from: date | None = None
    basis: tuple[str, ...] = ()
    contents: tuple[str, ...] = ()
    extra_days_off: tuple[date, ...] = ()
    extra_working_days: tuple[date, ...] = ()
    paperwork: Paperwork = Paperwork()
    source: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def locality(self) -> str:
        """'xã Khúc Thừa Dụ' of 'Ủy ban nhân dân xã Khúc Thừa Dụ' (else the authority)."""
        head = "ủy ban nhân dân "
        text = self.authority
        return text[len(head):] if text.casefold().startswith(head) else text

    @property
    def place_name(self) -> str:
        """The địa danh of the date line: `place`, else the locality without 'xã'."""
        if self.place:
            return self.place
        for level in LOCAL_LEVELS:
            if self.locality.casefold().startswith(level + " "):
                return self.locality[len(level) + 1:]
        return self.locality

    @property
    def parent_body(self) -> str:
        return self.paperwork.parent_body or self.authority

    @property
    def dates(self) -> PlanDates:
        return PlanDates(self.issued_on, self.period_start, self.period_end)

    @property
    def plan_reference(self) -> str:
        return plan_reference(self.number, self.issued_on)

    def calendar(self) -> WorkingCalendar:
        """One calendar per plan, so the working days it has looked up are remembered."""
        cal: WorkingCalendar | None = self.__dict__.get("_calendar")
        if cal is None:
            cal = WorkingCalendar(self.extra_days_off, self.extra_working_days)
            object.__setattr__(self, "_calendar", cal)
        return cal

    def unit(self, code: str) -> Unit:
        for unit in self.units:
            if unit.code == code:
                return unit
        raise UnknownUnit(campaign=self.code, unit=code, known=[u.code for u in self.units])

    def member(self, member_id: str) -> Member:
        for member in self.team:
            if member.id == member_id:
                return member
        raise UnknownMember(campaign=self.code, member=member_id, known=[m.id for m in self.team])

    @property
    def leader(self) -> Member:
        return next(m for m in self.team if m.role is Role.LEADER)


EMAIL_REASONS = (  # email_validator's reasons (English only), by their wording
    ("must have an @-sign", "thiếu dấu @"), ("something after the @-sign", "thiếu tên miền "
     "sau dấu @"), ("something before the @-sign", "thiếu phần trước dấu @"),
    ("more than one @-sign", "có nhiều hơn một dấu @"),
    ("not valid. It should include a period", "tên miền thiếu dấu chấm"),
    ("letters that are not allowed", "có ký tự không được phép"),
    ("characters that are not allowed", "có ký tự không được phép"),
    ("too long", "quá dài"), ("period", "đặt dấu chấm không đúng chỗ"),
)


def email_reason(exc: Exception) -> str:
    """Why email_validator refused an address, in Vietnamese."""
    text = str(exc)
    return next((vi for en, vi in EMAIL_REASONS if en in text), "sai định dạng")


def plan_reference(number: str, issued_on: date | None) -> str:
    """'Kế hoạch số 12/KH-UBND ngày 15/06/2026' — a number the plan does not give is a
    marked blank ('…/KH-UBND'), never made up."""
    number = number or "KH-UBND"
    if "/" not in number:
        number = f"…/{number}"
    when = f" ngày {issued_on:%d/%m/%Y}" if issued_on else ""
    return f"Kế hoạch số {number}{when}"


def parse_plan_text(text: str, source: str = "plan") -> Plan:
    """Parse and validate the TOML text of a plan file."""
    return parse_plan(load_toml(text, source, InvalidPlan), source)


def parse_plan(data: dict[str, Any], source: str = "plan") -> Plan:
    """Validate a plan's data (as TOML gives it) and build the `Plan`."""
    check = _Checker()
    plan = _build(data, check)
    if check.problems or plan is None:
        raise InvalidPlan(source, check.problems)
    return plan


def plan_from_record(record: dict[str, Any]) -> Plan:
    """Rebuild a plan stored in an event: it was validated when it was imported."""
    plan = _build(record, _Checker(trusted=True))
    assert plan is not None
    return plan


TOP_LEVEL_KEYS = {
    "code", "title", "authority", "place", "number", "issued_on", "basis", "period",
    "data_from", "contents", "rules", "calendar", "secretariat", "team", "units", "reminders",
    "documents",
}
DOCUMENT_KEYS = {"parent_body", "team_name", "team_symbol", "body_symbol", "series",
                 "leader_position", "committee_signer", "secretary", "visit_time", "filing",
                 "recipients"}
REMINDER_KINDS = ("notice", "report", "on_site", "minutes", "conclusion", "remediation")
REMINDER_KEYS = {"before", "on_due", "every_overdue", "max_overdue", "to"}
REMINDER_ROLES = ("unit", "leader", "deputy", "secretariat", "team")
RULE_KEYS = {
    "notice": ("notice_days", "notice_day_kind"),
    "report_lead": ("report_lead_days", "report_lead_day_kind"),
    "conclusion_within": ("conclusion_within_days", "conclusion_day_kind"),
    "remediation_within": ("remediation_within_days", "remediation_day_kind"),
}


def _build(data: dict[str, Any], check: _Checker) -> Plan | None:
    check.unknown_keys("", data, TOP_LEVEL_KEYS)
    check.no_control_characters("", data)
    code = check.text("code", data.get("code"), max_len=40, pattern=CODE_PATTERN,
                      pattern_vi="chỉ gồm chữ, số, '.', '_' hoặc '-', tối đa 40 ký tự",
                      pattern_en="letters, digits, '.', '_' or '-', at most 40 characters")
    title = check.text("title", data.get("title"), max_len=500)
    authority = check.text("authority", data.get("authority"), max_len=300)
    place = check.text("place", data.get("place"), required=False, max_len=200)
    number = check.text("number", data.get("number"), required=False, max_len=100)
    issued_on = check.day("issued_on", data.get("issued_on"), required=False)
    data_from = check.day("data_from", data.get("data_from"), required=False)
    basis = check.text_list("basis", data.get("basis"))
    contents = check.text_list("contents", data.get("contents"))

    period = check.table("period", data.get("period"), {"start", "end"})
    start = check.day("period.start", period.get("start"))
    end = check.day("period.end", period.get("end"))
    if start and end and start > end:
        check.add("period", f"ngày bắt đầu {start:%d/%m/%Y} sau ngày kết thúc {end:%d/%m/%Y}",
                  f"start {start} is after end {end}")
    if data_from and end and data_from > end:
        check.add("data_from", f"sau ngày kết thúc kỳ kiểm tra {end:%d/%m/%Y}",
                  f"is after the end of the period {end}")

    rules = _rules(check, check.table("rules", data.get("rules"), _all_rule_keys(),
                                      required=False))
    _reminders(check, check.table("reminders", data.get("reminders"),
                                  {"enabled", *REMINDER_KINDS}, required=False))
    cal = check.table("calendar", data.get("calendar"),
                      {"extra_days_off", "extra_working_days"}, required=False)
    days_off = check.date_list("calendar.extra_days_off", cal.get("extra_days_off"))
    working = check.date_list("calendar.extra_working_days", cal.get("extra_working_days"))
    for day in sorted(set(days_off) & set(working)):
        check.add("calendar", f"ngày {day:%d/%m/%Y} vừa là ngày nghỉ vừa là ngày làm việc",
                  f"{day} is both a day off and a working day")

    sec = check.table("secretariat", data.get("secretariat"), {"id", "name", "email"})
    secretariat = Secretariat(
        id=check.ident("secretariat.id", sec.get("id")),
        name=check.text("secretariat.name", sec.get("name"), max_len=200),
        email=check.email("secretariat.email", sec.get("email")),
    )
    team = tuple(_members(check, data.get("team")))
    units = tuple(_units(check, data.get("units"), start, end))
    _check_identities(check, secretariat, team, units)
    paperwork = _paperwork(check, check.table("documents", data.get("documents"),
                                              DOCUMENT_KEYS, required=False), team)

    if check.problems and not check.trusted:
        return None
    assert start is not None and end is not None
    return Plan(
        code=code, title=title, authority=authority, period_start=start, period_end=end,
        secretariat=secretariat, team=team, units=units, rules=rules, place=place,
        number=number, issued_on=issued_on, data_from=data_from, basis=tuple(basis),
        contents=tuple(contents), extra_days_off=tuple(days_off),
        extra_working_days=tuple(working), paperwork=paperwork, source=data,
    )


def _all_rule_keys() -> set[str]:
    return {key for pair in RULE_KEYS.values() for key in pair}


def _rules(check: _Checker, table: dict[str, Any]) -> Rules:
    defaults = Rules()
    periods: dict[str, Period] = {}
    for name, (days_key, kind_key) in RULE_KEYS.items():
        default: Period = getattr(defaults, name)
        days = check.positive_int(f"rules.{days_key}", table.get(days_key, default.days))
        kind_value = table.get(kind_key, str(default.kind))
        try:
            kind = DayKind(kind_value)
        except ValueError:
            check.add(f"rules.{kind_key}", f"phải là \"calendar\" hoặc \"working\", "
                      f"không phải {kind_value!r}",
                      f"must be \"calendar\" or \"working\", not {kind_value!r}")
            kind = default.kind
        periods[name] = Period(days, kind)
    return Rules(**periods)


def _reminders(check: _Checker, table: dict[str, Any]) -> None:
    """The `[reminders]` overrides; the notifications package reads them from the plan."""
    if check.trusted:
        return
    if "enabled" in table and not isinstance(table["enabled"], bool):
        check.add("reminders.enabled", "phải là true hoặc false", "must be true or false")
    for kind in REMINDER_KINDS:
        rule = check.table(f"reminders.{kind}", table.get(kind), REMINDER_KEYS, required=False)
        where = f"reminders.{kind}"
        before = rule.get("before", [])
        if not isinstance(before, list) or not all(
                isinstance(d, int) and not isinstance(d, bool) and 1 <= d <= 30 for d in before):
            check.add(f"{where}.before", "phải là danh sách số ngày làm việc từ 1 đến 30",
                      "must be a list of working-day counts from 1 to 30")
        if "on_due" in rule and not isinstance(rule["on_due"], bool):
            check.add(f"{where}.on_due", "phải là true hoặc false", "must be true or false")
        for key, top in (("every_overdue", 30), ("max_overdue", 10)):
            value = rule.get(key, 0)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= top:
                check.add(f"{where}.{key}", f"phải là số nguyên từ 0 đến {top}",
                          f"must be a whole number from 0 to {top}")
        roles = rule.get("to", ["unit"])
        if not isinstance(roles, list) or not roles or any(r not in REMINDER_ROLES
                                                           for r in roles):
            check.add(f"{where}.to", "phải là danh sách trong: " + ", ".join(REMINDER_ROLES),
                      "must be a list of: " + ", ".join(REMINDER_ROLES))


def _paperwork(check: _Checker, table: dict[str, Any], team: tuple[Member, ...]) -> Paperwork:
    """The `[documents]` table: what the issued documents print (defaults: `Paperwork`)."""
    base = Paperwork()

    def text(key: str, default: str, max_len: int = 300) -> str:
        return check.text(f"documents.{key}", table.get(key), required=False,
                          max_len=max_len) or default

    def symbol(where: str, value: Any, default: str) -> str:
        found = check.text(where, value, required=False, max_len=20)
        if found and not SYMBOL_PATTERN.match(found):
            check.add(where, f"“{found}” không hợp lệ: chữ in hoa, số hoặc '.', tối đa 20 ký tự",
                      f"'{found}' is invalid: capital letters, digits or '.', at most 20")
        return found or default

    series_table = check.table("documents.series", table.get("series"), set(DOCUMENT_KINDS),
                               required=False)
    series = {kind: symbol(f"documents.series.{kind}", series_table.get(kind), default)
              for kind, default in DEFAULT_SERIES.items()}
    signer = check.table("documents.committee_signer", table.get("committee_signer"),
                         {"authority", "title", "name"}, required=False)
    committee = Signer(
        authority=check.text("documents.committee_signer.authority", signer.get("authority"),
                             required=False, max_len=100) or base.committee_signer.authority,
        title=check.text("documents.committee_signer.title", signer.get("title"),
                         required=False, max_len=100) or base.committee_signer.title,
        name=check.text("documents.committee_signer.name", signer.get("name"),
                        required=False, max_len=200))
    secretary = check.text("documents.secretary", table.get("secretary"), required=False,
                           max_len=40)
    if secretary and team and secretary not in {m.id for m in team}:
        check.add("documents.secretary", f"“{secretary}” không phải thành viên Tổ kiểm tra "
                  f"(có: {', '.join(m.id for m in team)})",
                  f"'{secretary}' is not a team member (known: {', '.join(m.id for m in team)})")
    visit_time = text("visit_time", base.visit_time, max_len=5)
    if not TIME_PATTERN.match(visit_time):
        check.add("documents.visit_time", f"“{visit_time}” không hợp lệ: giờ dạng HH:MM, "
                  "ví dụ \"08:00\"", f"'{visit_time}' is invalid: a time HH:MM, e.g. \"08:00\"")
    lists = check.table("documents.recipients", table.get("recipients"), set(DOCUMENT_KINDS),
                        required=False)
    recipients = {kind: tuple(check.text_list(f"documents.recipients.{kind}", lists[kind]))
                  for kind in DOCUMENT_KINDS if kind in lists}
    return Paperwork(
        parent_body=text("parent_body", ""), team_name=text("team_name", base.team_name),
        team_symbol=symbol("documents.team_symbol", table.get("team_symbol"), base.team_symbol),
        body_symbol=symbol("documents.body_symbol", table.get("body_symbol"), base.body_symbol),
        series=series, leader_position=text("leader_position", base.leader_position, 100),
        committee_signer=committee, secretary=secretary, visit_time=visit_time,
        filing=text("filing", base.filing, 100), recipients=recipients)


def _members(check: _Checker, value: Any) -> Iterator[Member]:
    entries = check.array_of_tables("team", value)
    leaders = 0
    for i, entry in enumerate(entries):
        where = f"team[{i}]"
        check.name_item(where, ("thành viên thứ", "team member"), i, entry.get("id"))
        check.unknown_keys(where, entry, {"id", "role", "name", "title", "email"})
        role_value = entry.get("role")
        try:
            role = Role(str(role_value))
        except ValueError:
            check.add(f"{where}.role", f"phải là leader, deputy hoặc member, không phải "
                      f"{role_value!r}", f"must be leader, deputy or member, not {role_value!r}")
            role = Role.MEMBER
        leaders += role is Role.LEADER
        yield Member(
            id=check.ident(f"{where}.id", entry.get("id")),
            role=role,
            name=check.text(f"{where}.name", entry.get("name"), max_len=200),
            title=check.text(f"{where}.title", entry.get("title"), required=False, max_len=300),
            email=check.email(f"{where}.email", entry.get("email")),
        )
    if entries and leaders != 1:
        check.add("team", f"phải có đúng một Tổ trưởng (role = \"leader\"), đang có {leaders}",
                  f"needs exactly one leader (role = \"leader\"), found {leaders}")


def _units(check: _Checker, value: Any, start: date | None, end: date | None) -> Iterator[Unit]:
    for i, entry in enumerate(check.array_of_tables("units", value)):
        where = f"units[{i}]"
        check.name_item(where, ("đơn vị thứ", "unit"), i, entry.get("code"))
        check.unknown_keys(where, entry, {"code", "name", "head", "email", "planned_on_site",
                                          "place"})
        planned = check.day(f"{where}.planned_on_site", entry.get("planned_on_site"),
                             required=False)
        if planned and start and end and not start <= planned <= end:
            check.add(f"{where}.planned_on_site",
                      f"ngày {planned:%d/%m/%Y} nằm ngoài thời gian kiểm tra "
                      f"{start:%d/%m/%Y}–{end:%d/%m/%Y}",
                      f"{planned} is outside the period {start}–{end}")
        yield Unit(
            code=check.ident(f"{where}.code", entry.get("code")),
            name=check.text(f"{where}.name", entry.get("name"), max_len=300),
            head=check.text(f"{where}.head", entry.get("head"), required=False, max_len=200),
            email=check.email(f"{where}.email", entry.get("email")),
            planned_on_site=planned,
            place=check.text(f"{where}.place", entry.get("place"), required=False, max_len=300),
        )


def _check_identities(
    check: _Checker, secretariat: Secretariat, team: tuple[Member, ...], units: tuple[Unit, ...]
) -> None:
    """Unit codes, member ids and the secretariat id all name actors: each must be unique."""
    seen: dict[str, str] = {}
    named = [("secretariat.id", secretariat.id)]
    named += [(f"team[{i}].id", m.id) for i, m in enumerate(team)]
    named += [(f"units[{i}].code", u.code) for i, u in enumerate(units)]
    for where, ident in named:
        if not ident:
            continue
        if ident in seen:
            check.add(where, f"“{ident}” trùng với {check.place(seen[ident], 'vi')}",
                      f"'{ident}' duplicates {check.place(seen[ident], 'en')}")
        else:
            seen[ident] = where


class _Checker:
    """Collects every problem instead of stopping at the first."""

    def __init__(self, trusted: bool = False) -> None:
        self.problems: list[Problem] = []
        self.trusted = trusted
        self.items: dict[str, tuple[str, str]] = {}

    def name_item(self, where: str, words: tuple[str, str], index: int, code: Any) -> None:
        """How a person names the entry at `where` of an array: "đơn vị thứ 2 (kt)",
        "unit 2 (kt)" (counted from 1, with its code when it has one)."""
        tail = f" ({code})" if isinstance(code, str) and code.strip() else ""
        self.items[where] = (f"{words[0]} {index + 1}{tail}", f"{words[1]} {index + 1}{tail}")

    def place(self, where: str, lang: str) -> str:
        """`where` ("units[1].email") as a person says it: "đơn vị thứ 2 (kt), email"."""
        item, dot, rest = where.partition(".")
        named = self.items.get(item)
        if named is None:
            return where
        said = named[0 if lang == "vi" else 1]
        return f"{said}, {rest}" if dot else said

    def add(self, where: str, vi: str, en: str) -> None:
        self.problems.append(Problem(where, vi, en,
                                     place=(self.place(where, "vi"), self.place(where, "en"))))

    def missing(self, where: str) -> None:
        self.add(where, "bắt buộc phải có", "is required")

    def unknown_keys(self, where: str, table: dict[str, Any], known: set[str]) -> None:
        if self.trusted:
            return
        for key in sorted(set(table) - known):
            name = f"{where}.{key}" if where else key
            self.add(name, "trường không được hỗ trợ (viết sai tên?)",
                     "unknown field (misspelt?)")

    def no_control_characters(self, where: str, value: Any) -> None:
        if self.trusted:
            return
        if isinstance(value, str):
            bad = [c for c in decoded_words(value) if unicodedata.category(c) in FORBIDDEN]
            if bad:
                codes = ", ".join(f"U+{ord(c):04X}" for c in dict.fromkeys(bad))
                self.add(where or "text", f"chứa ký tự điều khiển không được phép ({codes})",
                         f"contains forbidden control characters ({codes})")
        elif isinstance(value, dict):
            for key, item in value.items():
                self.no_control_characters(f"{where}.{key}" if where else str(key), item)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                self.no_control_characters(f"{where}[{i}]", item)

    def table(self, where: str, value: Any, known: set[str],
              required: bool = True) -> dict[str, Any]:
        if value is None:
            if required:
                self.missing(where)
            return {}
        if not isinstance(value, dict):
            self.add(where, "phải là một bảng TOML", "must be a TOML table")
            return {}
        self.unknown_keys(where, value, known)
        return value

    def array_of_tables(self, where: str, value: Any) -> list[dict[str, Any]]:
        if value is None or value == []:
            self.add(where, "phải có ít nhất một mục", "needs at least one entry")
            return []
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self.add(where, f"phải là danh sách [[{where}]]", f"must be an array [[{where}]]")
            return []
        return value

    def text(self, where: str, value: Any, *, required: bool = True, max_len: int = 500,
             pattern: re.Pattern[str] | None = None, pattern_vi: str = "",
             pattern_en: str = "") -> str:
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.missing(where)
            return ""
        if not isinstance(value, str):
            self.add(where, "phải là chuỗi ký tự", "must be a string")
            return ""
        if len(value) > max_len:
            self.add(where, f"dài quá {max_len} ký tự", f"is longer than {max_len} characters")
        if pattern is not None and not pattern.match(value):
            self.add(where, f"“{value}” không hợp lệ: {pattern_vi}",
                     f"'{value}' is invalid: {pattern_en}")
        return value.strip()

    def ident(self, where: str, value: Any) -> str:
        return self.text(
            where, value, max_len=40, pattern=ID_PATTERN,
            pattern_vi="chỉ gồm chữ thường không dấu, số, '.', '_' hoặc '-', tối đa 40 ký tự",
            pattern_en="lowercase ASCII letters, digits, '.', '_' or '-', at most 40 characters",
        )

    def text_list(self, where: str, value: Any) -> list[str]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.add(where, "phải là danh sách chuỗi", "must be a list of strings")
            return []
        return [self.text(f"{where}[{i}]", v, max_len=2000) for i, v in enumerate(value)]

    def day(self, where: str, value: Any, required: bool = True) -> date | None:
        if value is None:
            if required:
                self.missing(where)
            return None
        if isinstance(value, str) and self.trusted:
            value = date.fromisoformat(value)
        if isinstance(value, datetime) or not isinstance(value, date):
            self.add(where, "phải là ngày TOML dạng YYYY-MM-DD (không có giờ)",
                     "must be a TOML date YYYY-MM-DD (no time)")
            return None
        if not EARLIEST_DATE <= value <= LATEST_DATE:
            self.add(where, f"ngày {value:%d/%m/%Y} nằm ngoài khoảng hợp lý {YEARS}",
                     f"{value} is outside the sensible range {YEARS}")
            return None
        return value

    def date_list(self, where: str, value: Any) -> list[date]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.add(where, "phải là danh sách ngày", "must be a list of dates")
            return []
        days = [self.day(f"{where}[{i}]", v) for i, v in enumerate(value)]
        return [d for d in days if d is not None]

    def positive_int(self, where: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(where, f"phải là số nguyên dương, không phải {value!r}",
                     f"must be a positive whole number, not {value!r}")
            return 1
        if not 1 <= value <= MAX_DAYS:
            self.add(where, f"phải từ 1 đến {MAX_DAYS}, không phải {value}",
                     f"must be between 1 and {MAX_DAYS}, not {value}")
            return 1
        return value

    def email(self, where: str, value: Any) -> str:
        text = self.text(where, value, max_len=254)
        if not text or self.trusted:
            return text
        from email_validator import EmailNotValidError, validate_email

        try:
            return str(validate_email(text, check_deliverability=False,
                                      allow_smtputf8=False).normalized)
        except EmailNotValidError as exc:
            self.add(where, f"địa chỉ email “{text}” không hợp lệ ({email_reason(exc)})",
                     f"email address '{text}' is invalid ({exc})")
            return text
