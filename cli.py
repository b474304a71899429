"""The `kiemtra` command line: parse, call one service, print.

Exit codes follow the contract: 0 done, 1 refused by a workflow rule, 2 bad
input, 3 concurrent change. Errors are printed as plain sentences on stderr;
set KIEMTRA_DEBUG=1 to see a traceback when reporting a bug.
Heavy modules are imported inside the commands that need them.
"""

from __future__ import annotations

import getpass
import json
import os
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from kiemtra.projections.views import Views
    from kiemtra.workflow.database import Database
    from kiemtra.workflow.services import Workflow
    from kiemtra.workflow.store import EventStore

F = TypeVar("F", bound=Callable[..., Any])
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
VN_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


# --- parameters -------------------------------------------------------------------------


class DateParam(click.ParamType):  # type: ignore[type-arg]
    """A date as YYYY-MM-DD or as Vietnamese DD/MM/YYYY."""

    name = "DATE"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        text = str(value).strip()
        try:
            if ISO_DATE.match(text):
                day = date.fromisoformat(text)
            elif m := VN_DATE.match(text):
                day = date(int(m[3]), int(m[2]), int(m[1]))
            else:
                day = None
        except ValueError:
            self.fail(f"ngày «{text}» không tồn tại (date does not exist)", param, ctx)
        if day is not None:
            if not date(2000, 1, 1) <= day <= date(2100, 12, 31):
                self.fail(f"ngày «{text}» nằm ngoài khoảng 2000–2100 "
                          "(outside 2000–2100)", param, ctx)
            return day
        self.fail(f"«{text}» không phải ngày dạng YYYY-MM-DD hoặc DD/MM/YYYY "
                  "(expected YYYY-MM-DD or DD/MM/YYYY)", param, ctx)


DATE = DateParam()


def today() -> date:
    from kiemtra.workflow.clock import today as vietnam_today

    return vietnam_today()


@dataclass
class Settings:
    db: str
    actor: str
    json: bool
    lang: str
    db_given: bool

    @cached_property
    def database(self) -> Database:
        from kiemtra.workflow.database import Database

        return Database(self.db)

    def store(self) -> EventStore:
        return self.database.open()

    def workflow(self, campaign: str | None = None) -> Workflow:
        """The services on this database; a step for a campaign needs an existing one
        (a refused command must not leave a new database behind)."""
        from kiemtra.workflow.services import Workflow

        if campaign is not None and not self.database.exists():
            from kiemtra.domain.errors import UnknownCampaign

            raise UnknownCampaign(code=campaign)
        return Workflow(self.store(), self.actor)

    def vi(self) -> bool:
        return self.lang == "vi"

    def say(self, vi: str, en: str) -> str:
        return vi if self.vi() else en


def settings() -> Settings:
    obj = click.get_current_context().find_object(Settings)
    assert obj is not None
    return obj


def json_option(f: F) -> F:
    """`--json` after a command too, as after `kiemtra`."""

    def enable(ctx: click.Context, _: click.Parameter, value: bool) -> None:
        if value:
            ctx.ensure_object(Settings).json = True

    return click.option("--json", "json_", is_flag=True, expose_value=False, callback=enable,
                        help="Machine-readable JSON on stdout.")(f)


def date_option(f: F) -> F:
    return click.option("--date", "day", type=DATE, default=None,
                        help="Effective date of the step (default: today in Vietnam).")(f)


def emit_json(data: Any) -> None:
    """Indented for a person at a terminal; compact (and several times faster) in a pipe."""
    indent = 2 if sys.stdout.isatty() else None
    click.echo(json.dumps(data, ensure_ascii=False, indent=indent, default=str))


def fmt(day: str | date | None) -> str:
    if day is None or day == "":
        return "-"
    value = date.fromisoformat(day) if isinstance(day, str) else day
    return value.strftime("%d/%m/%Y") if settings().vi() else value.isoformat()


def number(value: float, decimals: int | None = None) -> str:
    """1250 → '1.250', 96.5 → '96,5' in Vietnamese; '1,250' and '96.5' in English."""
    if decimals is None:
        decimals = 0 if value == int(value) else 1
    text = f"{value:,.{decimals}f}"
    if settings().vi():
        text = text.replace(",", "_").replace(".", ",").replace("_", ".")
    return text


def console() -> Any:
    from rich.console import Console

    class PipeFriendlyConsole(Console):
        def on_broken_pipe(self) -> None:
            """`kiemtra status | head`: the reader has what it wanted; that is success."""
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise SystemExit(0)

    return PipeFriendlyConsole(width=None if sys.stdout.isatty() else 200, highlight=False)


# --- the group and its error handling ----------------------------------------------------


class KiemtraGroup(click.Group):
    """Turns every expected failure into one sentence on stderr and its exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        from kiemtra.domain.errors import KiemtraError

        try:
            return super().invoke(ctx)
        except KiemtraError as exc:
            if os.environ.get("KIEMTRA_DEBUG"):
                raise
            lang = getattr(ctx.find_object(Settings), "lang", "vi")
            click.echo(exc.message(lang), err=True)
            ctx.exit(exc.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except BrokenPipeError:  # `kiemtra status | head`: the reader has what it wanted
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(0)
        except Exception as exc:  # an unexpected failure: a sentence, not a traceback
            if os.environ.get("KIEMTRA_DEBUG"):
                raise
            if "database is locked" in str(exc) or "database is busy" in str(exc):
                from kiemtra.domain.errors import ConcurrentChange

                lang = getattr(ctx.find_object(Settings), "lang", "vi")
                click.echo(ConcurrentChange().message(lang), err=True)
                ctx.exit(ConcurrentChange.exit_code)
            click.echo(f"Lỗi không mong đợi (unexpected error): {type(exc).__name__}: {exc}. "
                       "Chạy lại với KIEMTRA_DEBUG=1 để xem chi tiết.", err=True)
            ctx.exit(2)


@click.group(cls=KiemtraGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", envvar="KIEMTRA_DB", default="kiemtra.db", show_default=True,
              help="Database: a SQLite file path or a URL (postgresql://user@host/db).")
@click.option("--actor", envvar="KIEMTRA_ACTOR", default=None,
              help="Who is acting (team member id, secretariat id or unit code). "
                   "Default: the OS user.")
@click.option("--json", "json_", is_flag=True, help="Machine-readable JSON on stdout.")
@click.option("--lang", envvar="KIEMTRA_LANG", type=click.Choice(["vi", "en"]), default="vi",
              show_default=True, help="Language of labels and messages.")
@click.version_option(package_name="kiemtra")
@click.pass_context
def cli(ctx: click.Context, db: str, actor: str | None, json_: bool, lang: str) -> None:
    """kiemtra — tự kiểm tra công tác cải cách hành chính cấp xã.

    Records every step of each unit's inspection as an event, checks the
    legal deadlines, and shows where each unit stands.

    \b
    Bắt đầu / start:  kiemtra demo
                      kiemtra plan template > ke-hoach.toml
                      kiemtra plan import ke-hoach.toml
    """
    given = ctx.get_parameter_source("db") is not click.core.ParameterSource.DEFAULT
    ctx.obj = Settings(db=db, actor=actor or getpass.getuser(), json=json_, lang=lang,
                       db_given=given)


def main() -> None:
    """Console-script entry point: usage errors become one line on stderr, exit code 2."""
    try:
        code = cli.main(prog_name="kiemtra", standalone_mode=False)
    except click.UsageError as exc:
        where = f" ({exc.ctx.command_path} --help)" if exc.ctx else ""
        click.echo(f"Sai tham số (bad input): {exc.format_message()}{where}", err=True)
        sys.exit(2)
    except click.ClickException as exc:
        click.echo(exc.format_message(), err=True)
        sys.exit(exc.exit_code)
    except click.Abort:
        click.echo("Đã dừng (aborted).", err=True)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


# --- plan ---------------------------------------------------------------------------------


@cli.group()
def plan() -> None:
    """Kế hoạch kiểm tra: nhập và mẫu tệp (plan import, plan template)."""


@plan.command("template")
def plan_template() -> None:
    """In ra tệp kế hoạch mẫu có chú thích.

    Example: kiemtra plan template > ke-hoach-2027.toml
    """
    from kiemtra.workflow.demo import template_text

    click.echo(template_text(), nl=False)


@plan.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--date", "day", type=DATE, default=None,
              help="Effective date of the import (default: today in Vietnam).")
@json_option
def plan_import(file: str, day: date | None) -> None:
    """Kiểm tra và ghi nhận kế hoạch từ tệp TOML; in ra mã kế hoạch.

    Example: kiemtra plan import ke-hoach-2026.toml
    """
    from kiemtra.domain.plan import parse_plan_text
    from kiemtra.domain.roles import IMPORT, authorize
    from kiemtra.workflow.services import read_text_file

    s = settings()
    text = read_text_file(file)
    parsed = parse_plan_text(text, file)  # refused before any database is created,
    authorize(parsed, s.actor, IMPORT)    # as is an actor the plan does not name
    imported = s.workflow().import_parsed(parsed, day or today())
    if s.json:
        emit_json({"campaign": imported.code, "units": [u.code for u in imported.units]})
    else:
        click.echo(imported.code)
        click.echo(s.say(f"Đã nhập kế hoạch «{imported.title}» với {len(imported.units)} đơn vị: "
                         f"{', '.join(u.code for u in imported.units)}.",
                         f"Imported «{imported.title}» with {len(imported.units)} units: "
                         f"{', '.join(u.code for u in imported.units)}."), err=True)


# --- steps --------------------------------------------------------------------------------


def report_step(row: dict[str, Any], vi: str, en: str) -> None:
    """Print what a step command recorded: the row in JSON, or one sentence."""
    s = settings()
    if s.json:
        emit_json(row)
        return
    from kiemtra.domain.vocabulary import state_label, step_label

    nxt = row["next_step"]
    tail = ""
    if nxt:
        tail = s.say(f" Bước tiếp theo: {step_label(nxt)}"
                     + (f", hạn {fmt(row['next_deadline'])}." if row["next_deadline"] else "."),
                     f" Next: {step_label(nxt, 'en')}"
                     + (f", due {fmt(row['next_deadline'])}." if row["next_deadline"] else "."))
    click.echo(s.say(f"Đã ghi nhận — {row['campaign']}/{row['unit']} ({row['unit_name']}): {vi}. "
                     f"Trạng thái: {state_label(row['state'])}.{tail}",
                     f"Recorded — {row['campaign']}/{row['unit']}: {en}. "
                     f"State: {state_label(row['state'], 'en')}.{tail}"))


def step_command(name: str) -> Callable[[F], F]:
    """A workflow step: CAMPAIGN UNIT arguments, --date and --json."""

    def wrap(f: F) -> F:
        f = date_option(json_option(f))
        f = click.argument("unit")(f)
        f = click.argument("campaign")(f)
        return cli.command(name)(f)  # type: ignore[return-value]

    return wrap


def effective(day: date | None) -> date:
    return day or today()


@step_command("notify")
@click.option("--on-site", type=DATE, required=True, help="On-site inspection date.")
@click.option("--allow-non-working-day", is_flag=True, help="Accept an on-site day off.")
def notify(campaign: str, unit: str, day: date | None, on_site: date,
           allow_non_working_day: bool) -> None:
    """Thông báo lịch kiểm tra cho đơn vị.

    Example: kiemtra notify KTD-TKT-2026 vp --on-site 10/08/2026 --date 27/07/2026
    """
    row = settings().workflow(campaign).notify(campaign, unit, on_site=on_site, day=effective(day),
                                       allow_non_working_day=allow_non_working_day)
    report_step(row, f"thông báo lịch kiểm tra ngày {fmt(row['on_site'])}, hạn nộp báo cáo "
                     f"{fmt(row['report_due'])}",
                f"schedule notice for {fmt(row['on_site'])}, report due {fmt(row['report_due'])}")


@step_command("reschedule")
@click.option("--on-site", type=DATE, required=True, help="The new on-site date.")
@click.option("--reason", required=True, help="Why the visit moves.")
@click.option("--allow-non-working-day", is_flag=True, help="Accept an on-site day off.")
def reschedule(campaign: str, unit: str, day: date | None, on_site: date, reason: str,
               allow_non_working_day: bool) -> None:
    """Đổi ngày kiểm tra (thông báo lại, tính lại hạn báo cáo).

    Example: kiemtra reschedule KTD-TKT-2026 vhxh --on-site 20/08/2026 --reason "Trùng lịch"
    """
    row = settings().workflow(campaign).reschedule(campaign, unit, on_site=on_site, reason=reason,
                                           day=effective(day),
                                           allow_non_working_day=allow_non_working_day)
    report_step(row, f"đổi lịch kiểm tra sang ngày {fmt(row['on_site'])}, hạn nộp báo cáo "
                     f"{fmt(row['report_due'])}",
                f"rescheduled to {fmt(row['on_site'])}, report due {fmt(row['report_due'])}")


@step_command("report")
@click.option("--attach", multiple=True, type=click.Path(dir_okay=False),
              help="A file of the report (repeatable); stored with its SHA-256.")
@click.option("--metrics", type=click.Path(dir_okay=False),
              help="Report figures (TOML, the report outline's metric ids).")
def report(campaign: str, unit: str, day: date | None, attach: Sequence[str],
           metrics: str | None) -> None:
    """Ghi nhận báo cáo của đơn vị (kèm tệp, số liệu).

    Example: kiemtra report KTD-TKT-2026 hcc --metrics so-lieu.toml --attach bao-cao.pdf
    """
    row = settings().workflow(campaign).report(campaign, unit, day=effective(day), attach=attach,
                                       metrics_file=metrics)
    late_vi = "muộn" if row["report_late"] else "đúng hạn"
    late_en = "late" if row["report_late"] else "on time"
    report_step(row, f"báo cáo nộp ngày {fmt(row['report_submitted_on'])}, {late_vi} "
                     f"(hạn {fmt(row['report_due'])})",
                f"report of {fmt(row['report_submitted_on'])}, {late_en} "
                f"(due {fmt(row['report_due'])})")


@step_command("inspect")
@click.option("--surprise", is_flag=True, help="A surprise inspection: no notice, no report.")
@click.option("--without-report", metavar="REASON", help="Waive the unit's report, with a reason.")
@click.option("--absent", multiple=True, metavar="MEMBER",
              help="A team member absent with the leader's approval (repeatable).")
@click.option("--approved-by", metavar="LEADER_ID",
              help="The leader who approved the absences, when someone else records them.")
@click.option("--allow-non-working-day", is_flag=True, help="The visit is on a day off.")
def inspect(campaign: str, unit: str, day: date | None, surprise: bool,
            without_report: str | None, absent: Sequence[str], approved_by: str | None,
            allow_non_working_day: bool) -> None:
    """Ghi nhận buổi kiểm tra trực tiếp tại đơn vị.

    Example: kiemtra inspect KTD-TKT-2026 vp --date 10/08/2026
    """
    row = settings().workflow(campaign).inspect(
        campaign, unit, day=effective(day), surprise=surprise, without_report=without_report,
        absent=absent, approved_by=approved_by, allow_non_working_day=allow_non_working_day)
    report_step(row, f"kiểm tra trực tiếp ngày {fmt(row['inspected_on'])}, hạn kết luận "
                     f"{fmt(row['conclusion_due'])}",
                f"on-site inspection on {fmt(row['inspected_on'])}, conclusion due "
                f"{fmt(row['conclusion_due'])}")


@step_command("minutes")
@click.option("--attach", multiple=True, type=click.Path(dir_okay=False),
              help="The signed minutes file (repeatable).")
def minutes(campaign: str, unit: str, day: date | None, attach: Sequence[str]) -> None:
    """Ghi nhận biên bản kiểm tra đã ký.

    Example: kiemtra minutes KTD-TKT-2026 vp --attach bien-ban.pdf
    """
    row = settings().workflow(campaign).minutes(campaign, unit, day=effective(day), attach=attach)
    report_step(row, f"biên bản ký ngày {fmt(row['minutes_on'])}",
                f"minutes signed on {fmt(row['minutes_on'])}")


@step_command("conclude")
@click.option("--finding", "findings", multiple=True, metavar="TEXT",
              help="One finding to remediate (repeatable; numbered 1, 2, …).")
@click.option("--remediate-by", type=DATE, help="Deadline for every finding "
              "(default: the plan's remediation period after the conclusion).")
def conclude(campaign: str, unit: str, day: date | None, findings: Sequence[str],
             remediate_by: date | None) -> None:
    """Ghi nhận thông báo kết luận kiểm tra và các tồn tại, hạn chế.

    Example: kiemtra conclude KTD-TKT-2026 vp --finding "Chưa niêm yết TTHC" --finding "…"
    """
    row = settings().workflow(campaign).conclude(
        campaign, unit, day=effective(day), findings=findings, remediate_by=remediate_by)
    n = row["findings_total"]
    late_vi = " (muộn)" if row["conclusion_late"] else ""
    late_en = " (late)" if row["conclusion_late"] else ""
    report_step(row, f"kết luận ngày {fmt(row['concluded_on'])}{late_vi}, {n} tồn tại"
                     + (f", hạn khắc phục {fmt(row['next_deadline'])}" if n else ""),
                f"conclusion on {fmt(row['concluded_on'])}{late_en}, {n} findings"
                + (f", remediate by {fmt(row['next_deadline'])}" if n else ""))


@step_command("remediate")
@click.option("--finding", "findings", multiple=True, type=click.IntRange(min=1), required=True,
              metavar="N", help="Number of a remediated finding (repeatable).")
@click.option("--note", help="What was done.")
@click.option("--attach", multiple=True, type=click.Path(dir_okay=False),
              help="Evidence file (repeatable).")
def remediate(campaign: str, unit: str, day: date | None, findings: Sequence[int],
              note: str | None, attach: Sequence[str]) -> None:
    """Ghi nhận báo cáo kết quả khắc phục cho từng tồn tại.

    Example: kiemtra remediate KTD-TKT-2026 vp --finding 1 --finding 2 --note "Đã niêm yết"
    """
    row = settings().workflow(campaign).remediate(campaign, unit, findings=findings,
                                          day=effective(day), note=note, attach=attach)
    nums = ", ".join(str(n) for n in sorted(set(findings)))
    report_step(row, f"đã khắc phục tồn tại số {nums}, còn {row['findings_open']} tồn tại mở",
                f"findings {nums} remediated, {row['findings_open']} still open")


@step_command("cancel")
@click.option("--reason", required=True, help="Why the inspection is cancelled.")
def cancel(campaign: str, unit: str, day: date | None, reason: str) -> None:
    """Hủy cuộc kiểm tra tại một đơn vị (trước khi kiểm tra trực tiếp).

    Example: kiemtra cancel KTD-TKT-2026 kt --reason "Đơn vị sáp nhập"
    """
    row = settings().workflow(campaign).cancel(campaign, unit, reason=reason, day=effective(day))
    report_step(row, "hủy cuộc kiểm tra", "inspection cancelled")


# --- views --------------------------------------------------------------------------------


def open_existing(campaign: str | None = None) -> EventStore | None:
    """The store, or None when the SQLite file does not exist (nothing recorded yet).

    Asking for a campaign in a database that does not exist is an unknown campaign.
    """
    s = settings()
    if s.database.exists():
        return s.store()
    if campaign:
        from kiemtra.domain.errors import UnknownCampaign

        raise UnknownCampaign(code=campaign)
    return None


def open_views(campaign: str | None = None) -> Views | None:
    """The read models caught up with the log, or None when nothing was ever recorded."""
    s = settings()
    if not s.database.exists():
        if campaign:
            from kiemtra.domain.errors import UnknownCampaign

            raise UnknownCampaign(code=campaign)
        return None
    from kiemtra.projections.views import Views

    return Views(s.database).fresh()


def emit(rows: Any, show: Callable[[Any], None]) -> None:
    if settings().json:
        emit_json(rows)
    else:
        show(rows)


class TimestampParam(click.ParamType):  # type: ignore[type-arg]
    """A moment: a date (the end of that day) or a date and time, in Vietnam's time."""

    name = "TIMESTAMP"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> datetime:
        from kiemtra.workflow.clock import VIETNAM

        text = str(value).strip().replace("T", " ")
        day_part, _, time_part = text.partition(" ")
        try:
            day = DATE.convert(day_part, param, ctx)
            moment = (datetime.combine(day, time.fromisoformat(time_part)) if time_part
                      else datetime.combine(day, time.max))
        except (ValueError, click.BadParameter):
            self.fail(f"«{value}» không phải thời điểm dạng NGÀY [GIỜ:PHÚT[:GIÂY]] "
                      "(expected DATE [HH:MM[:SS]])", param, ctx)
        return moment.replace(tzinfo=VIETNAM)


@cli.command()
@click.option("--as-of", type=DATE, help="Count overdue items as of this date (default: today).")
@json_option
def campaigns(as_of: date | None) -> None:
    """Danh sách kế hoạch và tiến độ.

    Example: kiemtra campaigns --as-of 15/10/2026
    """
    views = open_views()
    emit(views.campaigns(as_of or today()) if views else [], print_campaigns)


def print_campaigns(rows: list[dict[str, Any]]) -> None:
    s = settings()
    if not rows:
        click.echo(s.say("Chưa có kế hoạch nào. Nhập bằng: kiemtra plan import TỆP.toml",
                         "No campaigns yet. Import one: kiemtra plan import FILE.toml"))
        return
    from rich.table import Table

    table = Table(title=s.say("Các kế hoạch tự kiểm tra", "Campaigns"), title_justify="left")
    for col in s.say("Mã|Tên kế hoạch|Thời gian|Đã kết luận|Tồn tại mở|Quá hạn|Bước muộn|"
                     "Hoàn thành",
                     "Code|Title|Period|Concluded|Open findings|Overdue|Late steps|"
                     "Closed").split("|"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["code"], r["title"], f"{fmt(r['period_start'])}–{fmt(r['period_end'])}",
                      f"{r['concluded']}/{r['units'] - r['cancelled']}", str(r["findings_open"]),
                      str(r["overdue"]), str(r["late_steps"]),
                      s.say("Có" if r["closed"] else "Chưa", "yes" if r["closed"] else "no"))
    console().print(table)


@cli.command()
@click.argument("campaign", required=False)
@click.option("--as-of", type=DATE, help="Judge deadlines as of this date (default: today).")
@click.option("--at", "at", type=TimestampParam(),
              help="Show the state as recorded at this moment (DATE or 'DATE HH:MM').")
@json_option
def status(campaign: str | None, as_of: date | None, at: datetime | None) -> None:
    """Tình trạng từng cuộc kiểm tra: bước tiếp theo, hạn, quá hạn.

    With --at, only the events recorded until that moment count: what the system
    said on that day.

    Example: kiemtra status KTD-TKT-2026 --as-of 01/09/2026
    """
    views = open_views(campaign)
    if views is None:
        rows: list[dict[str, Any]] = []
    elif at is not None:
        rows = views.status_at(at, as_of or at.date(), campaign)
    else:
        rows = views.status(as_of or today(), campaign)
    emit(rows, print_status)


@cli.command()
@click.option("--as-of", type=DATE, help="Judge deadlines as of this date (default: today).")
@click.option("--within", type=click.IntRange(min=0), default=14, show_default=True,
              help="Deadlines up to this many days ahead (overdue ones always show).")
@click.option("--all", "show_all", is_flag=True, help="Every open deadline, however far.")
@json_option
def due(as_of: date | None, within: int, show_all: bool) -> None:
    """Các thời hạn sắp đến và đã quá hạn, sắp theo ngày.

    Example: kiemtra due --within 7
    """
    views = open_views()
    rows = views.due(as_of or today(), None if show_all else within) if views else []
    emit(rows, print_due)


KINDS = {
    "notice": ("Thông báo lịch kiểm tra", "schedule notice"),
    "report": ("Nộp báo cáo", "unit report"),
    "on_site": ("Kiểm tra trực tiếp", "on-site inspection"),
    "minutes": ("Ký biên bản", "minutes"),
    "conclusion": ("Thông báo kết luận", "conclusion"),
    "remediation": ("Báo cáo khắc phục", "remediation report"),
}


def print_due(rows: list[dict[str, Any]]) -> None:
    s = settings()
    if not rows:
        click.echo(s.say("Không có thời hạn nào trong khoảng này.", "Nothing due in this window."))
        return
    from rich.table import Table

    table = Table(title=s.say(f"Thời hạn tính đến ngày {fmt(rows[0]['as_of'])}",
                              f"Deadlines as of {fmt(rows[0]['as_of'])}"), title_justify="left")
    for col in s.say("Hạn|Thứ|Còn|Kế hoạch|Đơn vị|Việc phải làm|Người chịu trách nhiệm",
                     "Due|Day|Left|Campaign|Unit|What|Responsible").split("|"):
        table.add_column(col)
    for r in rows:
        what = s.say(KINDS[r["kind"]][0], KINDS[r["kind"]][1])
        if r["finding"]:
            what += s.say(f" — tồn tại số {r['finding']}", f" — finding {r['finding']}")
        left = r["days_left"]
        if left < 0:
            when = s.say(f"[bold red]quá {-left} ngày[/]", f"[bold red]{-left} days late[/]")
        elif left == 0:
            when = s.say("[yellow]hôm nay[/]", "[yellow]today[/]")
        else:
            when = s.say(f"{left} ngày", f"{left} days")
        weekday = r["weekday"] if s.vi() else date.fromisoformat(r["due"]).strftime("%a")
        if r["reminder_failed"]:
            what += s.say(" [red](thư nhắc lỗi)[/]", " [red](reminder failed)[/]")
        table.add_row(fmt(r["due"]), weekday, when, r["campaign"],
                      f"{r['unit']} — {r['unit_name']}", what, r["responsible_name"])
    console().print(table)


@cli.command()
@click.argument("campaign")
@click.option("--as-of", type=DATE, help="Judge deadlines as of this date (default: today).")
@json_option
def summary(campaign: str, as_of: date | None) -> None:
    """Tổng hợp kết quả kiểm tra của kế hoạch (số liệu cho Báo cáo kết quả kiểm tra).

    Example: kiemtra summary KTD-TKT-2026 --json
    """
    views = open_views(campaign)
    assert views is not None
    emit(views.summary(campaign, as_of or today()), print_summary)


REPORT_WORDS = {
    "on_time": ("đúng hạn", "on time"), "late": ("muộn", "late"),
    "waived": ("được miễn", "waived"), "none": ("không yêu cầu", "not required"),
    "pending": ("chưa nộp", "pending"),
}
RATE_WORDS = {
    "on_time_rate": ("Tỷ lệ hồ sơ giải quyết đúng hạn", "On-time rate"),
    "online_rate": ("Tỷ lệ hồ sơ trực tuyến", "Online rate"),
    "task_completion_rate": ("Tỷ lệ hoàn thành nhiệm vụ", "Task completion"),
    "feedback_resolution_rate": ("Tỷ lệ giải quyết phản ánh, kiến nghị",
                                 "Feedback resolution"),
}


def print_summary(data: dict[str, Any]) -> None:
    from kiemtra.domain.metrics import METRICS_LABELS
    from kiemtra.domain.vocabulary import state_label
    from rich.table import Table

    s = settings()
    out = console()
    out.print(f"[bold]{data['title']}[/] ({data['campaign']}) — {data['authority']}")
    table = Table(title=s.say("Kết quả kiểm tra từng đơn vị", "Results per unit"),
                  title_justify="left")
    for col in s.say("Đơn vị|Trạng thái|Báo cáo|Tồn tại|Đã khắc phục|Còn mở|Khắc phục muộn|"
                     "Hồ sơ đúng hạn %|Hồ sơ trực tuyến %",
                     "Unit|State|Report|Findings|Remediated|Open|Late fixes|On-time %|"
                     "Online %").split("|"):
        table.add_column(col)

    def pct(rates: dict[str, Any] | None, key: str) -> str:
        value = (rates or {}).get(key)
        return "-" if value is None else number(value, 1)

    for u in data["units"]:
        words = REPORT_WORDS[u["report"]]
        table.add_row(f"{u['unit']} — {u['unit_name']}", state_label(u["state"], s.lang),
                      s.say(words[0], words[1]), str(u["findings_total"]),
                      str(u["findings_remediated"]), str(u["findings_open"]),
                      str(u["remediations_late"]), pct(u["rates"], "on_time_rate"),
                      pct(u["rates"], "online_rate"))
    out.print(table)
    tot = data["totals"]
    out.print(s.say(
        f"Tổng: {tot['units']} đơn vị; đã kiểm tra {tot['inspected']} (đột xuất "
        f"{tot['surprise']}); đã kết luận {tot['concluded']}; báo cáo đúng hạn "
        f"{tot['reports_on_time']}, muộn {tot['reports_late']}, miễn {tot['reports_waived']}; "
        f"tồn tại {tot['findings_total']}, đã khắc phục {tot['findings_remediated']}, "
        f"còn mở {tot['findings_open']}.",
        f"Totals: {tot['units']} units; inspected {tot['inspected']} (surprise "
        f"{tot['surprise']}); concluded {tot['concluded']}; reports on time "
        f"{tot['reports_on_time']}, late {tot['reports_late']}, waived {tot['reports_waived']}; "
        f"findings {tot['findings_total']}, remediated {tot['findings_remediated']}, "
        f"open {tot['findings_open']}."))
    if tot["figures"]:
        figures = Table(title=s.say("Số liệu báo cáo (cộng các đơn vị)",
                                    "Report figures (all units)"), title_justify="left")
        figures.add_column(s.say("Chỉ tiêu", "Metric"))
        figures.add_column(s.say("Giá trị", "Value"), justify="right")
        for section in tot["figures"].values():
            for metric, value in section.items():
                figures.add_row(METRICS_LABELS.get(metric, metric) if s.vi() else metric,
                                number(value))
        for key, value in (tot["rates"] or {}).items():
            if value is not None:
                figures.add_row(s.say(RATE_WORDS[key][0], RATE_WORDS[key][1]),
                                pct(tot["rates"], key) + " %")
        out.print(figures)


@cli.command()
@click.option("--as-of", type=DATE, help="Send what is due as of this date (default: today).")
@click.option("--dry-run", is_flag=True, help="Show what would go out; send and record nothing.")
@click.option("--failed", is_flag=True,
              help="List reminders that failed, or wait to be retried.")
@json_option
def remind(as_of: date | None, dry_run: bool, failed: bool) -> None:
    """Gửi các thư nhắc hạn đến hạn hôm nay, mỗi thư một lần.

    Without KIEMTRA_SMTP_URL the messages are written as .eml files into the
    kiemtra-outbox folder beside the database.

    Example: kiemtra remind --dry-run
    """
    s = settings()
    if failed:
        views = open_views()
        emit(views.undelivered() if views else [], print_undelivered)
        return
    if not s.database.exists():
        emit({"sent": [], "already_sent": [], "failed": [], "waiting": [], "would_send": []},
             print_tick)
        return
    from kiemtra.notifications.reminders import claimant, remind_once

    report = remind_once(s.database, as_of=as_of or today(), dry_run=dry_run,
                         claimant=claimant(s.actor))
    emit(report.as_dict(), print_tick)


KIND_SHORT = {"notice": "thông báo lịch", "report": "báo cáo", "on_site": "lịch kiểm tra",
              "minutes": "biên bản", "conclusion": "kết luận", "remediation": "khắc phục"}


def print_tick(report: dict[str, Any]) -> None:
    s = settings()
    if "as_of" in report:
        click.echo(s.say(
            f"Nhắc việc ngày {fmt(report['as_of'])} qua {report['transport']}: "
            f"đã gửi {len(report['sent'])}, đã gửi trước đó {len(report['already_sent'])}, "
            f"lỗi {len(report['failed'])}, chờ gửi lại {len(report['waiting'])}.",
            f"Reminders for {fmt(report['as_of'])} via {report['transport']}: "
            f"sent {len(report['sent'])}, already sent {len(report['already_sent'])}, "
            f"failed {len(report['failed'])}, waiting {len(report['waiting'])}."))
    else:
        click.echo(s.say("Chưa có dữ liệu; không có gì để nhắc.", "No data; nothing to send."))
    if report["would_send"]:
        click.echo(s.say(f"Chạy thử: sẽ gửi {len(report['would_send'])} thư (không gửi, "
                         "không ghi nhận):",
                         f"Dry run: {len(report['would_send'])} would go out (nothing sent "
                         "or recorded):"))
    for label, items in (("→", report["would_send"]), ("✓", report["sent"]),
                         ("✗", report["failed"]), ("…", report["waiting"])):
        for item in items:
            line = f"  {label} {item.get('subject') or item['key']} → {', '.join(item['to'])}"
            if item.get("error"):
                line += f" ({item['error']})"
            click.echo(line)
    if report["failed"]:
        click.echo(s.say("Có thư nhắc không gửi được; xem: kiemtra remind --failed",
                         "Some reminders failed; see: kiemtra remind --failed"), err=True)


def print_undelivered(rows: list[dict[str, Any]]) -> None:
    s = settings()
    if not rows:
        click.echo(s.say("Không có thư nhắc nào bị lỗi.", "No failed reminders."))
        return
    for r in rows:
        state = s.say("lỗi, không gửi lại" if r["state"] == "failed" else "chờ gửi lại",
                      "failed for good" if r["state"] == "failed" else "will be retried")
        click.echo(f"{r['campaign']}/{r['unit']} {KIND_SHORT.get(r['kind'], r['kind'])} "
                   f"(hạn {fmt(r['due'])}): {state}, {r['attempts']} lần — {r['error']}")


@cli.command()
@click.option("--at", "at", default="07:30", show_default=True, metavar="HH:MM",
              help="Time of the daily reminder run, on working days (Vietnam time).")
@click.option("--retry-every", type=click.IntRange(min=5), default=60, show_default=True,
              metavar="MINUTES", help="How often temporary failures are retried.")
@click.option("--run-now", is_flag=True, help="Also run one tick right away.")
def scheduler(at: str, retry_every: int, run_now: bool) -> None:
    """Chạy bộ lập lịch gửi thư nhắc cho đến khi dừng (Ctrl-C hoặc SIGTERM).

    Example: kiemtra scheduler --at 07:30
    """
    import re as regex

    from kiemtra.domain.errors import InvalidInput, RuleViolation

    s = settings()
    if not regex.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", at):
        raise InvalidInput(detail=s.say(f"--at «{at}» phải có dạng HH:MM (00:00–23:59).",
                                        f"--at '{at}' must be HH:MM (00:00–23:59)."))
    from kiemtra.notifications.scheduler import ScheduleHeld, run

    s.store().close()  # creates the database and event tables if this is a new one
    try:
        run(s.database, at=at, retry_minutes=retry_every, run_now=run_now,
            say=lambda line: print(line, flush=True))
    except ScheduleHeld as held:
        raise RuleViolation(detail=s.say(
            f"Đã có bộ lập lịch khác đang chạy ({held}); chỉ một bộ được giữ lịch.",
            f"Another scheduler is running ({held}); only one may hold the schedule."
        )) from None


@cli.group()
def projections() -> None:
    """Các bảng tổng hợp (read models) dựng từ nhật ký sự kiện."""


@projections.command("rebuild")
@json_option
def projections_rebuild() -> None:
    """Xóa và dựng lại mọi bảng tổng hợp từ nhật ký sự kiện.

    Example: kiemtra projections rebuild
    """
    s = settings()
    views = open_views()
    applied = views.rebuild() if views else 0
    if s.json:
        emit_json({"events": applied})
    else:
        click.echo(s.say(f"Đã dựng lại các bảng tổng hợp từ {applied} sự kiện.",
                         f"Rebuilt the views from {applied} events."))


def print_status(rows: list[dict[str, Any]]) -> None:
    from kiemtra.domain.vocabulary import state_label, step_label
    from rich.table import Table

    s = settings()
    if not rows:
        click.echo(s.say("Chưa có cuộc kiểm tra nào.", "No inspections yet."))
        return
    out = console()
    header = s.say(
        "Mã|Đơn vị|Trạng thái|Ngày kiểm tra|Hạn báo cáo|Báo cáo|Tồn tại mở|Bước tiếp theo|Hạn|"
        "Ghi chú",
        "Code|Unit|State|On-site|Report due|Report|Open findings|Next step|Due|Note",
    ).split("|")
    as_of = date.fromisoformat(rows[0]["as_of"])
    for code in dict.fromkeys(r["campaign"] for r in rows):
        table = Table(title=s.say(f"Kế hoạch {code}", f"Campaign {code}"), title_justify="left")
        for i, col in enumerate(header):
            table.add_column(col, min_width=22 if i == 1 else None, no_wrap=i == len(header) - 1)
        for r in (r for r in rows if r["campaign"] == code):
            if r["report_submitted_on"]:
                rep = fmt(r["report_submitted_on"]) + (s.say(" (muộn)", " (late)")
                                                       if r["report_late"] else "")
            elif r["report_waived"]:
                rep = s.say("miễn", "waived")
            else:
                rep = "-"
            notes = []
            if r["overdue"]:
                late = (as_of - date.fromisoformat(r["next_deadline"])).days
                notes.append(s.say(f"[bold red]QUÁ HẠN {late} ngày[/]",
                                   f"[bold red]OVERDUE {late} days[/]"))
            if r["surprise"]:
                notes.append(s.say("đột xuất", "surprise"))
            if r.get("reminders_failed"):
                notes.append(s.say("[red]thư nhắc lỗi[/]", "[red]reminder failed[/]"))
            table.add_row(
                r["unit"], r["unit_name"], state_label(r["state"], s.lang),
                fmt(r["on_site"] or r["planned_on_site"]), fmt(r["report_due"]), rep,
                f"{r['findings_open']}/{r['findings_total']}",
                step_label(r["next_step"], s.lang) if r["next_step"] else "-",
                fmt(r["next_deadline"]), ", ".join(notes),
            )
        out.print(table)
    out.print(s.say(f"Tính đến ngày {fmt(rows[0]['as_of'])}.", f"As of {fmt(rows[0]['as_of'])}."))


@cli.command()
@click.argument("campaign")
@click.argument("unit", required=False)
@json_option
def history(campaign: str, unit: str | None) -> None:
    """Dòng thời gian các bước đã ghi nhận (ai, làm gì, khi nào).

    Example: kiemtra history KTD-TKT-2026 vhxh
    """
    from kiemtra.projections.history import history as timeline

    store = open_existing(campaign)
    assert store is not None
    emit(timeline(store, campaign, unit), print_history)


def print_history(rows: list[dict[str, Any]]) -> None:
    from kiemtra.domain.vocabulary import step_label
    from kiemtra.projections.history import describe
    from rich.table import Table

    s = settings()
    table = Table(title=s.say("Lịch sử", "History"), title_justify="left")
    for col in s.say("Ngày hiệu lực|Thời điểm ghi (giờ VN)|Người thực hiện|Đơn vị|Bước|Chi tiết",
                     "Effective|Recorded at (UTC+7)|Actor|Unit|Step|Details").split("|"):
        table.add_column(col)
    from datetime import datetime

    from kiemtra.workflow.clock import VIETNAM

    for r in rows:
        at = datetime.fromisoformat(r["recorded_at"]).astimezone(VIETNAM)
        recorded = at.strftime("%d/%m/%Y %H:%M:%S" if s.vi() else "%Y-%m-%d %H:%M:%S")
        table.add_row(fmt(r["effective_date"]), recorded, r["actor"], r["unit"] or "-",
                      step_label(r["step"], s.lang), describe(r, s.lang))
    console().print(table)
    print_attachments(rows)


# --- audit --------------------------------------------------------------------------------


class AuditGroup(click.Group):
    """`kiemtra audit [CAMPAIGN] [filters]` lists the trail; `audit verify|checkpoint|export`
    are subcommands. Anything that is not a subcommand goes to `audit trail`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ("-h", "--help")):
            args = ["trail", *args]
        return super().parse_args(ctx, args)


def audited_database() -> Path:
    """The SQLite file to audit. It is only read: opening it through the event store
    would create missing tables, and a removed chain must be reported, not rebuilt."""
    from kiemtra.domain.errors import StorageUnavailable

    s = settings()
    if s.database.is_postgres:
        raise StorageUnavailable(db=s.database.label(), reason=s.say(
            "kiểm toán chuỗi băm chưa hỗ trợ PostgreSQL", "the audit chain is not yet "
            "supported on PostgreSQL"))
    if not s.database.exists():
        raise StorageUnavailable(db=s.database.label(), reason=s.say(
            "tệp không tồn tại", "no such file"))
    return s.database.sqlite_path


@cli.group(cls=AuditGroup)
def audit() -> None:
    """Hồ sơ kiểm toán: ai làm gì, khi nào; kiểm tra tính toàn vẹn.

    \b
    kiemtra audit [CAMPAIGN] [--unit U] [--actor ID] [--since D] [--until D]
                  [--event E] [--format table|csv|json]
    kiemtra audit verify [--checkpoint FILE]... | --bundle FILE.zip
    kiemtra audit checkpoint [-o FILE]
    kiemtra audit export CAMPAIGN -o FILE.zip
    """


@audit.command("trail")
@click.argument("campaign", required=False)
@click.option("--unit", help="Only this unit's steps.")
@click.option("--actor", "who", help="Only the steps this actor took.")
@click.option("--since", type=DATE, help="Recorded on or after this date (Vietnam time).")
@click.option("--until", type=DATE, help="Recorded on or before this date (Vietnam time).")
@click.option("--event", help="An event (NoticeIssued) or a step (notify).")
@click.option("--format", "form", type=click.Choice(["table", "csv", "json"]),
              default="table", show_default=True)
@json_option
def audit_trail(campaign: str | None, unit: str | None, who: str | None, since: date | None,
                until: date | None, event: str | None, form: str) -> None:
    """Hồ sơ kiểm toán theo thứ tự ghi nhận (ngày hiệu lực, thời điểm ghi, người, vai trò).

    Example: kiemtra audit KTD-TKT-2026 --unit hcc --format csv > kiem-toan.csv
    """
    from kiemtra.projections.audit_trail import AuditFilter, audit_rows

    s = settings()
    store = open_existing(campaign)
    where = AuditFilter(campaign, unit, who, since, until, event)
    rows = audit_rows(store, where) if store is not None else []
    if s.json or form == "json":
        emit_json([{k: v for k, v in r.items() if k != "recorded_on"} for r in rows])
    elif form == "csv":
        write_audit_csv(rows)
    else:
        print_audit(rows)


AUDIT_CSV_COLUMNS = ("seq", "recorded_at", "effective_date", "back_dated", "actor",
                     "actor_name", "actor_role", "campaign", "unit", "event", "step",
                     "description", "attachments", "details")


def write_audit_csv(rows: list[dict[str, Any]]) -> None:
    """UTF-8 with a byte-order mark, so Excel shows the Vietnamese text correctly."""
    import csv
    import io

    from kiemtra.projections.history import describe

    s = settings()
    text = io.StringIO()
    out = csv.writer(text, lineterminator="\r\n")
    out.writerow(AUDIT_CSV_COLUMNS)
    for r in rows:
        files = "; ".join(f"{f['name']} {f['sha256']}" for f in r["attachments"])
        out.writerow([r["seq"], r["recorded_at"], r["effective_date"],
                      "1" if r["back_dated"] else "0", r["actor"], r["actor_name"] or "",
                      r["actor_role"] or "", r["campaign"], r["unit"] or "", r["event"],
                      r["step"], describe(r, s.lang), files,
                      json.dumps(r["details"], ensure_ascii=False)])
    sys.stdout.buffer.write(("\ufeff" + text.getvalue()).encode("utf-8"))
    sys.stdout.buffer.flush()


def print_audit(rows: list[dict[str, Any]]) -> None:
    from kiemtra.domain.vocabulary import role_label, step_label
    from kiemtra.projections.history import describe
    from kiemtra.workflow.clock import VIETNAM
    from rich.table import Table

    s = settings()
    table = Table(title=s.say("Hồ sơ kiểm toán", "Audit trail"), title_justify="left")
    for col in s.say("STT|Ngày hiệu lực|Thời điểm ghi (giờ VN)|Người thực hiện|Vai trò|"
                     "Kế hoạch/Đơn vị|Bước|Nội dung",
                     "Seq|Effective|Recorded at (UTC+7)|Actor|Role|Campaign/Unit|Step|"
                     "Details").split("|"):
        table.add_column(col, overflow="fold")
    back_dated = 0
    for r in rows:
        if r["recorded_at"] is None:
            table.add_row(str(r["seq"]), "-", "-", "-", "-", "-", "-",
                          s.say("Không đọc được sự kiện — chạy «kiemtra audit verify»",
                                "Unreadable event — run 'kiemtra audit verify'"))
            continue
        at = datetime.fromisoformat(r["recorded_at"]).astimezone(VIETNAM)
        effective = fmt(r["effective_date"])
        if r["back_dated"]:
            back_dated += 1
            effective += s.say(" ⚠ ghi lùi ngày", " ⚠ back-dated")
        who = f"{r['actor_name']} ({r['actor']})" if r["actor_name"] else r["actor"]
        role = role_label(r["actor_role"], s.lang) if r["actor_role"] else "-"
        if r["actor_role"] and not r["role_recorded"]:
            role += s.say(" (theo kế hoạch)", " (from the plan)")
        table.add_row(str(r["seq"]), effective,
                      at.strftime("%d/%m/%Y %H:%M:%S" if s.vi() else "%Y-%m-%d %H:%M:%S"),
                      who, role, "/".join(x for x in (r["campaign"], r["unit"]) if x),
                      step_label(r["step"], s.lang), describe(r, s.lang))
    out = console()
    out.print(table)
    out.print(s.say(
        f"{len(rows)} sự kiện; {back_dated} bước ghi lùi ngày (ngày hiệu lực trước ngày ghi).",
        f"{len(rows)} events; {back_dated} back-dated (effective before the day recorded)."))
    print_attachments(rows)


def print_attachments(rows: list[dict[str, Any]]) -> None:
    """Whole SHA-256 codes under the table, one per line, for `kiemtra attachment get`."""
    s = settings()
    files = [(r["seq"], f) for r in rows for f in r.get("attachments") or []]
    if files:
        click.echo(s.say("Tệp đính kèm (lấy lại bằng «kiemtra attachment get SHA256 -o TỆP»):",
                         "Attachments (get one with 'kiemtra attachment get SHA256 -o FILE'):"))
        for seq, f in files:
            click.echo(f"  #{seq} {f['name']} ({number(f['size'])} byte) SHA-256 {f['sha256']}")


def read_checkpoints(paths: Sequence[str]) -> list[tuple[str, Any]]:
    from kiemtra.domain.errors import InvalidCheckpoint
    from kiemtra.projections.audit_chain import read_checkpoint
    from kiemtra.workflow.services import read_text_file

    found = []
    for path in paths:
        try:
            found.append((path, read_checkpoint(read_text_file(path))))
        except ValueError as exc:
            raise InvalidCheckpoint(path=path, reason=exc) from None
    return found


@audit.command("verify")
@click.option("--checkpoint", "checkpoints", multiple=True, type=click.Path(dir_okay=False),
              help="A checkpoint kept outside the database (repeatable).")
@click.option("--bundle", type=click.Path(dir_okay=False),
              help="Verify an exported bundle instead of the database.")
@click.option("--no-signature", is_flag=True,
              help="With --bundle and no signing key: check only the bundle's inner "
                   "consistency.")
@json_option
def audit_verify(checkpoints: tuple[str, ...], bundle: str | None, no_signature: bool) -> None:
    """Kiểm tra hồ sơ sự kiện không bị sửa, chèn, xóa hay đảo thứ tự.

    Exit 0 with the number of events checked; exit 1 naming the first position
    where the record was altered.

    Example: kiemtra audit verify --checkpoint diem-kiem-tra-2026-11.json
    """
    from kiemtra.domain.errors import NoAuditKey
    from kiemtra.workflow.audit_key import audit_key

    s = settings()
    given = read_checkpoints(checkpoints)
    if bundle is not None:
        from kiemtra.domain.errors import BundleKeyRequired
        from kiemtra.projections.audit_bundle import verify_bundle

        try:
            key: bytes | None = audit_key()
        except NoAuditKey:
            if given or not no_signature:
                raise BundleKeyRequired() from None
            key = None
        found = verify_bundle(Path(bundle), key, given)
        if s.json:
            emit_json(found.to_json())
            return
        counts = s.say(
            f"kế hoạch {found.campaign}, {found.events} sự kiện, {found.links} mắt xích chuỗi "
            f"băm đến vị trí {found.head}, {found.attachments} tệp đính kèm",
            f"campaign {found.campaign}, {found.events} events, {found.links} chain links up "
            f"to position {found.head}, {found.attachments} attachments")
        if found.signature_checked:
            click.echo(s.say(f"Gói xuất nguyên vẹn và đầy đủ, chữ ký hợp lệ: {counts}.",
                             f"The bundle is complete and unaltered, its signature valid: "
                             f"{counts}."))
        else:
            click.echo(s.say(
                f"Gói xuất nhất quán bên trong: {counts}. CHƯA kiểm tra chữ ký (--no-signature):"
                " chưa chứng minh được gói không bị dựng lại.",
                f"The bundle is consistent in itself: {counts}. The signature was NOT checked "
                "(--no-signature): nothing proves it was not rebuilt."))
        return
    from kiemtra.projections.audit_chain import verify_database

    verified = verify_database(audited_database(), given, audit_key() if given else None)
    if s.json:
        emit_json(verified.to_json())
        return
    click.echo(s.say(
        f"Hồ sơ nguyên vẹn: đã kiểm tra {verified.events} sự kiện (đến vị trí {verified.head}), "
        f"{verified.attachments} tệp đính kèm, {verified.checkpoints} điểm kiểm tra.",
        f"The record is intact: {verified.events} events checked (up to position "
        f"{verified.head}), {verified.attachments} attachments, {verified.checkpoints} "
        "checkpoints."))
    if verified.chained_through:
        click.echo(s.say(
            f"Lưu ý: các vị trí 1–{verified.chained_through} được nối chuỗi băm sau khi ghi "
            f"(lúc {verified.chained_at}, khi phiên bản này mở cơ sở dữ liệu lần đầu); chuỗi "
            "chỉ bảo đảm chúng không đổi kể từ lúc đó.",
            f"Note: positions 1–{verified.chained_through} were chained after they were "
            f"recorded ({verified.chained_at}, when this version first opened the database); "
            "the chain vouches for them only since then."), err=True)


@audit.command("checkpoint")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Write the checkpoint to this file (default: standard output).")
def audit_checkpoint(output: str | None) -> None:
    """Tạo điểm kiểm tra có chữ ký (vị trí, mã băm, thời điểm) để lưu ngoài máy.

    Example: kiemtra audit checkpoint -o diem-kiem-tra-2026-11.json
    """
    from kiemtra.domain.errors import UnwritableFile
    from kiemtra.projections.audit_chain import checkpoint_text, make_checkpoint
    from kiemtra.workflow.audit_key import audit_key
    from kiemtra.workflow.clock import now

    s = settings()
    checkpoint = make_checkpoint(audited_database(), lambda: audit_key(create=True), now())
    text = checkpoint_text(checkpoint)
    if output is None:
        click.echo(text, nl=False)
    else:
        try:
            Path(output).write_text(text, "utf-8")
        except OSError as exc:
            raise UnwritableFile(path=output, reason=exc.strerror or exc) from None
    click.echo(s.say(
        f"Điểm kiểm tra: {checkpoint.events} sự kiện, vị trí {checkpoint.position}. Hãy lưu "
        "tệp này ngoài máy (thư điện tử, USB) để sau này phát hiện hồ sơ bị cắt ngắn hoặc "
        "khôi phục từ bản sao lưu cũ.",
        f"Checkpoint: {checkpoint.events} events, position {checkpoint.position}. Keep this "
        "file off this machine, to expose a log cut short or restored from an old backup "
        "later."), err=True)


@audit.command("export")
@click.argument("campaign")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="The zip file to write.")
@json_option
def audit_export(campaign: str, output: str) -> None:
    """Xuất hồ sơ một kế hoạch (sự kiện, tệp đính kèm, chuỗi băm, điểm kiểm tra) ra tệp zip.

    Example: kiemtra audit export KTD-TKT-2026 -o ho-so-KTD-TKT-2026.zip
    """
    from kiemtra.projections.audit_bundle import export_bundle
    from kiemtra.workflow.audit_key import audit_key
    from kiemtra.workflow.clock import now

    s = settings()
    db = audited_database()
    done = export_bundle(db, campaign, Path(output), lambda: audit_key(create=True), now())
    if s.json:
        emit_json({"campaign": done.campaign, "events": done.events, "links": done.links,
                   "attachments": done.attachments, "file": output,
                   "checkpoint": done.checkpoint.to_json()})
        return
    click.echo(s.say(
        f"Đã xuất {done.events} sự kiện, {done.attachments} tệp đính kèm và {done.links} mắt "
        f"xích chuỗi băm của kế hoạch {done.campaign} ra {output}. Kiểm tra trên máy khác: "
        f"kiemtra audit verify --bundle {output}",
        f"Exported {done.events} events, {done.attachments} attachments and {done.links} "
        f"chain links of campaign {done.campaign} to {output}. Check it elsewhere with: "
        f"kiemtra audit verify --bundle {output}"))


# --- attachments ----------------------------------------------------------------------------


@cli.group()
def attachment() -> None:
    """Tệp đính kèm lưu trong cơ sở dữ liệu theo mã SHA-256."""


@attachment.command("get")
@click.argument("sha256")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="Where to write the file.")
def attachment_get(sha256: str, output: str) -> None:
    """Lấy một tệp đính kèm theo mã SHA-256 (xem «kiemtra audit» hoặc «kiemtra history»).

    Example: kiemtra attachment get 3f5a…c2 -o bien-ban.pdf
    """
    from kiemtra.domain.errors import UnwritableFile
    from kiemtra.workflow.store import fetch_attachment

    s = settings()
    store = open_existing()
    content = fetch_attachment(store, sha256)
    try:
        Path(output).write_bytes(content)
    except OSError as exc:
        raise UnwritableFile(path=output, reason=exc.strerror or exc) from None
    click.echo(s.say(f"Đã ghi {len(content)} byte vào {output}; mã SHA-256 khớp.",
                     f"Wrote {len(content)} bytes to {output}; the SHA-256 matches."), err=True)


# --- demo -------------------------------------------------------------------------------


DEMO_AS_OF = date(2026, 10, 15)


@cli.command()
def demo() -> None:
    """Chạy thử một kế hoạch mẫu hoàn chỉnh trong cơ sở dữ liệu mới.

    Uses the given --db if it is new, else a fresh temporary database.

    Example: kiemtra demo
    """
    import tempfile
    from pathlib import Path

    from kiemtra.domain.errors import InvalidInput
    from kiemtra.projections.history import history as timeline
    from kiemtra.projections.views import Views
    from kiemtra.workflow.database import Database
    from kiemtra.workflow.demo import run_demo

    s = settings()
    if s.db_given:
        if Database(s.db).exists() and s.store().event_count() > 0:
            raise InvalidInput(detail=s.say(
                f"Cơ sở dữ liệu {s.db} đã có dữ liệu; bản chạy thử cần cơ sở dữ liệu mới.",
                f"The database {s.db} is not empty; the demo needs a new one."))
    else:
        s.db = str(Path(tempfile.mkdtemp(prefix="kiemtra-demo-")) / "kiemtra.db")
        s.__dict__.pop("database", None)
    store = s.store()
    out = console()
    out.print(s.say("[bold]kiemtra — chạy thử kế hoạch tự kiểm tra CCHC của xã Khúc Thừa Dụ[/]",
                    "[bold]kiemtra — demo campaign of Khúc Thừa Dụ commune[/]"))
    with tempfile.TemporaryDirectory(prefix="kiemtra-demo-files-") as files:
        for st in run_demo(store, Path(files)):
            where = f"{st.unit:5}" if st.unit else "     "
            out.print(f"  {fmt(st.day)}  {where} {st.actor:12} {s.say(st.say_vi, st.say_en)}")
    out.print()
    rows = Views(s.database).fresh().status(DEMO_AS_OF)
    print_status(rows)
    out.print()
    print_history(timeline(store, rows[0]["campaign"], "vhxh"))
    out.print()
    out.print(s.say(
        f"Tình hình trên tính đến {fmt(DEMO_AS_OF)}, sau đợt kiểm tra.\n"
        f"Dữ liệu chạy thử: {s.db} ({store.event_count()} sự kiện). Xem tiếp:\n"
        f"  kiemtra --db {s.db} status --as-of 01/10/2026\n"
        f"  kiemtra --db {s.db} history KTD-TKT-2026 hcc\n"
        f"  kiemtra --db {s.db} audit KTD-TKT-2026 --unit hcc\n"
        f"  kiemtra --db {s.db} audit verify",
        f"The status above is as of {fmt(DEMO_AS_OF)}, after the campaign.\n"
        f"Demo data: {s.db} ({store.event_count()} events). Explore:\n"
        f"  kiemtra --db {s.db} status --as-of 2026-10-01\n"
        f"  kiemtra --db {s.db} history KTD-TKT-2026 hcc\n"
        f"  kiemtra --db {s.db} audit KTD-TKT-2026 --unit hcc\n"
        f"  kiemtra --db {s.db} audit verify"))


if __name__ == "__main__":
    main()
