"""The `kiemtra` command line: parse, call one service, present the result.

Exit codes follow the contract: 0 done, 1 refused by a workflow rule, 2 bad input, 3
concurrent change. Errors are printed as plain sentences on stderr, with the hint a
user of this command line needs (which command or option would help), keyed by the
error's rule; set KIEMTRA_DEBUG=1 to see a traceback when reporting a bug. Tables are
described as data (`Col`) and drawn by one helper; their headings come from the
vocabulary. Heavy modules are imported inside the commands that need them.
"""

from __future__ import annotations

import getpass
import json
import os
import re
import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from inspect import cleandoc
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from kiemtra.domain.errors import KiemtraError
    from kiemtra.projections.sheets import Sheet
    from kiemtra.projections.views import Views
    from kiemtra.workflow import Database, Workflow

F = TypeVar("F", bound=Callable[..., Any])
Row = dict[str, Any]


# --- parameters -------------------------------------------------------------------------


class DateParam(click.ParamType):  # type: ignore[type-arg]
    """A date as YYYY-MM-DD or as Vietnamese DD/MM/YYYY (`formats.parse_date`)."""

    name = "DATE"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> date:
        from kiemtra.domain.formats import parse_date

        try:
            return value if isinstance(value, date) else parse_date(str(value))
        except ValueError as exc:
            self.fail(_pair(str(exc), reader_language(ctx)), param, ctx)


def reader_language(ctx: click.Context | None) -> str:
    """The language of the person reading: the group's setting once parsed, else what the
    command line and the environment ask for."""
    found = ctx.find_object(Settings) if ctx is not None else None
    return found.lang if found is not None else language_of(sys.argv[1:])


DATE = DateParam()


class YearParam(click.ParamType):  # type: ignore[type-arg]
    """A year from 2000 to 2100 (`formats.parse_year`)."""

    name = "YEAR"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> int:
        from kiemtra.domain.formats import parse_year

        try:
            return value if isinstance(value, int) else parse_year(str(value))
        except ValueError as exc:
            self.fail(_pair(str(exc), reader_language(ctx)), param, ctx)


# --- help in the reader's language --------------------------------------------------------
#
# Every command and option has its help in both languages: the docstring and `help=` are
# English (click's own convention), `help_vi=` is Vietnamese. The classes below choose by
# the reader's language and put click's own words ("Usage", "Options", "default", the
# metavars) in it too, so `kiemtra --help` in `vi` meets no English.

ARGUMENT_NAMES_VI = {"FILE": "TỆP", "CAMPAIGN": "MÃ_KẾ_HOẠCH", "UNIT": "MÃ_ĐƠN_VỊ",
                     "KIND": "LOẠI_VĂN_BẢN", "YEAR": "NĂM", "PREFIX": "MÃ_TỆP",
                     "SHA256": "MÃ_SHA256"}
METAVARS_VI = {"TEXT": "NỘI_DUNG", "INTEGER": "SỐ", "INTEGER RANGE": "SỐ", "DATE": "NGÀY",
               "TIMESTAMP": "THỜI_ĐIỂM", "PATH": "ĐƯỜNG_DẪN", "REASON": "LÝ_DO",
               "MEMBER": "THÀNH_VIÊN", "LEADER_ID": "MÃ_TỔ_TRƯỞNG", "MINUTES": "PHÚT",
               "HH:MM": "GIỜ:PHÚT", "DB": "CSDL", "ID": "MÃ", "OPTIONS": "TÙY_CHỌN",
               "COMMAND": "LỆNH", "ARGS": "THAM_SỐ", "EVENT": "SỰ_KIỆN", **ARGUMENT_NAMES_VI}
METAVAR_WORD = re.compile(r"HH:MM|[A-Z][A-Z0-9_]*(?: RANGE)?")
CLICK_HELP_VI = {"Show this message and exit.": "Hiện hướng dẫn này rồi thoát."}


def _vi(ctx: click.Context | None) -> bool:
    return reader_language(ctx) == "vi"


def _metavar(text: str, ctx: click.Context | None) -> str:
    """"[OPTIONS] CAMPAIGN [UNIT]" as "[TÙY_CHỌN] MÃ_KẾ_HOẠCH [MÃ_ĐƠN_VỊ]" for a reader of
    Vietnamese; choices ("[vi|en]") stay as typed."""
    if not _vi(ctx):
        return text
    return METAVAR_WORD.sub(lambda m: METAVARS_VI.get(m[0], m[0]), text)


class KiemtraOption(click.Option):
    """An option whose help and metavar follow the reader's language (`help_vi`)."""

    def __init__(self, *decls: Any, help_vi: str | None = None, **attrs: Any) -> None:
        super().__init__(*decls, **attrs)
        self.help_vi = help_vi

    def make_metavar(self, ctx: click.Context) -> str:
        return _metavar(super().make_metavar(ctx), ctx)

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        if self.hidden or not _vi(ctx):
            return super().get_help_record(ctx)
        extra = self.get_help_extra(ctx)
        items = [*(["biến môi trường: " + ", ".join(extra["envvars"])]
                   if "envvars" in extra else []),
                 *([f"mặc định: {extra['default']}"] if "default" in extra else []),
                 *([extra["range"]] if "range" in extra else []),
                 *(["bắt buộc"] if "required" in extra else [])]
        text = self.help_vi or CLICK_HELP_VI.get(self.help or "", self.help or "")
        if items:
            text = f"{text}  [{'; '.join(items)}]" if text else f"[{'; '.join(items)}]"
        return self.get_help_spec(ctx), text


class KiemtraArgument(click.Argument):
    """An argument whose name in usage lines follows the reader's language."""

    def make_metavar(self, ctx: click.Context) -> str:
        return _metavar(super().make_metavar(ctx), ctx)


def option(*decls: str, help: str | None = None, help_vi: str | None = None,
           **attrs: Any) -> Callable[[F], F]:
    """`click.option` with its help in both languages."""
    return click.option(*decls, cls=KiemtraOption, help=help, help_vi=help_vi, **attrs)


def argument(*decls: str, **attrs: Any) -> Callable[[F], F]:
    """`click.argument`, named in the reader's language; a campaign or a unit code
    completes from the database in the shell (`shell_complete`)."""
    completer = COMPLETERS.get(decls[0])
    if completer is not None:
        attrs.setdefault("shell_complete", completer)
    return click.argument(*decls, cls=KiemtraArgument, **attrs)


# --- shell completion: the codes in the database ------------------------------------------


def _known(ctx: click.Context) -> list[Row]:
    """The inspections of the database the command line names (--db or KIEMTRA_DB), for
    completing codes, read from the views as they stand: a Tab does not catch them up nor
    rebuild them (seconds at a province's scale), and never creates a database. Only
    views never made (a plan just imported) are made, as the first read would. Quiet when
    there is nothing to read."""
    from kiemtra.projections.views import Views
    from kiemtra.workflow import Database

    try:
        database = Database(str(ctx.find_root().params.get("db") or "kiemtra.db"))
        if not database.exists():
            return []
        try:
            return Views(database).status(today())
        except Exception:  # noqa: BLE001 - no views yet, or of an older layout
            if database.is_postgres or _has_views(database):
                return []
            fresh = Views.for_reading(database)
            return fresh.status(today()) if fresh else []
    except Exception:  # noqa: BLE001 - a shell's completion must stay quiet
        return []


def _has_views(database: Database) -> bool:
    import sqlite3

    uri = f"{database.sqlite_path.resolve().as_uri()}?mode=ro"
    with sqlite3.connect(uri, uri=True) as conn:
        return conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'view_inspections'"
                            ).fetchone() is not None


def complete_campaign(ctx: click.Context, param: click.Parameter,
                      incomplete: str) -> list[Any]:
    from click.shell_completion import CompletionItem

    codes = dict.fromkeys(r["campaign"] for r in _known(ctx))
    return [CompletionItem(code) for code in codes if code.lower().startswith(incomplete.lower())]


def complete_unit(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    from click.shell_completion import CompletionItem

    campaign = str(ctx.params.get("campaign") or "").casefold()
    return [CompletionItem(r["unit"], help=r["unit_name"]) for r in _known(ctx)
            if r["campaign"].casefold() == campaign and r["unit"].startswith(incomplete.lower())]


COMPLETERS: dict[str, Callable[..., list[Any]]] = {"campaign": complete_campaign,
                                                   "unit": complete_unit}


def _example(label: str, example: str, width: int = 76) -> str:
    """Example command lines (one a line) under `label`, each folded between its words
    (an option kept with its value, a quoted text whole) so that help fits 80 columns."""
    lines: list[str] = []
    for n, command in enumerate(example.split("\n")):
        lines.append(label.rstrip(" ") if n == 0 else " " * (len(label) - 1))
        for i, word in enumerate(re.findall(r'--?[\w-]+ (?:"[^"]*"|[^-\s]\S*)|\S*"[^"]*"|\S+',
                                            command)):
            joined = f"{lines[-1]} {word}"
            if len(joined) <= width or i == 0:
                lines[-1] = joined
            else:
                lines.append(" " * (len(label) + 4) + word)
    return "\n".join(lines)


class Bilingual(click.Command):
    """A command whose help, usage line and headings follow the reader's language."""

    def __init__(self, *args: Any, help_vi: str | None = None, example: str | None = None,
                 **attrs: Any) -> None:
        super().__init__(*args, **attrs)
        self.help_vi = help_vi
        self.example = example

    def help_in(self, ctx: click.Context | None) -> str:
        """The help in the reader's language, with the example under "Ví dụ"/"Example"
        (an example is a command line: the same in both)."""
        vi = _vi(ctx)
        text = cleandoc((self.help_vi if vi and self.help_vi else self.help) or "")
        if self.example:
            text += "\n\n\b\n" + _example(f"{'Ví dụ' if vi else 'Example'}: ", self.example)
        return text

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        text = self.help_in(ctx)
        if text:
            formatter.write_paragraph()
            with formatter.indentation():
                formatter.write_text(text)

    def get_short_help_str(self, limit: int = 45) -> str:
        ctx = click.get_current_context(silent=True)
        if self.short_help:
            return cleandoc(self.short_help).strip()
        first = self.help_in(ctx).split("\n\n")[0].replace("\n", " ")
        sentence = first.split(". ")[0].rstrip(".")
        if len(sentence) > limit:  # the words before a parenthesis, else cut at a word
            before = sentence.split(" (")[0]
            sentence = before if len(before) <= limit else (
                sentence[:limit - 1].rsplit(" ", 1)[0] + "…")
        return sentence

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        pieces = [_metavar(piece, ctx) if piece in (self.options_metavar, "COMMAND [ARGS]...")
                  else piece for piece in self.collect_usage_pieces(ctx)]  # args: their own
        formatter.write_usage(ctx.command_path, " ".join(pieces),
                              "Cách dùng: " if _vi(ctx) else "Usage: ")

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        records = [r for r in (p.get_help_record(ctx) for p in self.get_params(ctx)
                               if not isinstance(p, click.Argument)) if r]
        if _vi(ctx):
            records = [(spec, CLICK_HELP_VI.get(text, text)) for spec, text in records]
        if records:
            with formatter.section("Tùy chọn" if _vi(ctx) else "Options"):
                formatter.write_dl(records)


class BilingualGroup(Bilingual, click.Group):
    """A group of commands, its listing in the reader's language; its commands and
    subgroups are bilingual too."""

    command_class = Bilingual

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        Bilingual.format_options(self, ctx, formatter)
        self.format_commands(ctx, formatter)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        commands = [(name, cmd) for name in self.list_commands(ctx)
                    if (cmd := self.get_command(ctx, name)) is not None and not cmd.hidden]
        if commands:
            limit = formatter.width - 6 - max(len(name) for name, _ in commands)
            with formatter.section("Lệnh" if _vi(ctx) else "Commands"):
                formatter.write_dl([(name, cmd.get_short_help_str(limit))
                                    for name, cmd in commands])


class TimestampParam(click.ParamType):  # type: ignore[type-arg]
    """A moment: a date (the end of that day) or a date and time, in Vietnam's time."""

    name = "TIMESTAMP"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> datetime:
        from kiemtra.domain.formats import parse_moment
        from kiemtra.workflow import VIETNAM

        try:
            return parse_moment(str(value), VIETNAM)
        except ValueError as exc:
            self.fail(_pair(str(exc), reader_language(ctx)), param, ctx)


def today() -> date:
    from kiemtra.workflow import today as vietnam_today

    return vietnam_today()


# --- settings and presentation ----------------------------------------------------------


@dataclass
class Settings:
    db: str
    actor: str
    json: bool
    lang: str
    db_given: bool

    @cached_property
    def database(self) -> Database:
        from kiemtra.workflow import Database

        return Database(self.db)

    def workflow(self, campaign: str) -> Workflow:
        from kiemtra.workflow import existing_workflow

        return existing_workflow(self.database, self.actor, campaign)

    def views(self, campaign: str | None = None) -> Views | None:
        from kiemtra.projections.views import Views

        views = Views.for_reading(self.database, campaign)
        if views is not None and views.note is not None:  # a newer kiemtra's database
            click.echo(views.note.message(self.lang), err=True)
        return views

    def vi(self) -> bool:
        return self.lang == "vi"

    def say(self, vi: str, en: str) -> str:
        return vi if self.vi() else en

    def word(self, pair: tuple[str, str]) -> str:
        return pair[0] if self.vi() else pair[1]


def settings() -> Settings:
    obj = click.get_current_context().find_object(Settings)
    assert obj is not None
    return obj


def say(vi: str, en: str) -> str:
    return settings().say(vi, en)


def json_option(f: F) -> F:
    """`--json` after a command too, as after `kiemtra`."""

    def enable(ctx: click.Context, _: click.Parameter, value: bool) -> None:
        if value:
            ctx.ensure_object(Settings).json = True

    return option("--json", "json_", is_flag=True, expose_value=False, callback=enable,
                  help="Machine-readable JSON on stdout.",
                  help_vi="In kết quả dạng JSON (cho phần mềm khác đọc).")(f)


def emit_json(data: Any) -> None:
    """Indented for a person at a terminal; compact (and several times faster) in a pipe."""
    indent = 2 if sys.stdout.isatty() else None
    click.echo(json.dumps(data, ensure_ascii=False, indent=indent, default=str))


def emit(data: Any, show: Callable[[Any], None]) -> None:
    """JSON for machines, else `show` for people."""
    if settings().json:
        emit_json(data)
    else:
        show(data)


def fmt(day: str | date | None) -> str:
    if day is None or day == "":
        return "-"
    value = date.fromisoformat(day) if isinstance(day, str) else day
    return value.strftime("%d/%m/%Y") if settings().vi() else value.isoformat()


def moment(recorded_at: str) -> str:
    """A recording time (UTC, ISO) as Vietnam's time of day."""
    from kiemtra.domain.formats import format_moment

    at = local_moment(recorded_at)
    assert at is not None
    return format_moment(at, settings().lang)


def local_moment(recorded_at: str | None) -> datetime | None:
    """A recording time (UTC, ISO) as Vietnam's clock showed it, to the second, without a
    zone (as a spreadsheet holds it: the headings say "giờ VN", "UTC+7")."""
    from kiemtra.workflow import VIETNAM

    if not recorded_at:
        return None
    at = datetime.fromisoformat(recorded_at).astimezone(VIETNAM)
    return at.replace(tzinfo=None, microsecond=0)


def number(value: float, decimals: int | None = None) -> str:
    from kiemtra.domain.formats import format_number

    return format_number(value, settings().lang, decimals)


def console() -> Any:
    from rich.console import Console

    class PipeFriendlyConsole(Console):
        def on_broken_pipe(self) -> None:
            """`kiemtra status | head`: the reader has what it wanted; that is success."""
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise SystemExit(0)

    return PipeFriendlyConsole(width=table_width(), highlight=False)


def table_width() -> int | None:
    """The width tables are drawn to; None lets rich ask the terminal (or read COLUMNS).
    A pipe read at a terminal (`kiemtra audit | less`) takes that terminal's width, from
    stderr; a pipe or a file with no terminal at all (cron) takes COLUMNS, else
    PIPE_WIDTH."""
    if sys.stdout.isatty() or os.environ.get("COLUMNS", "").isdigit():
        return None
    try:
        columns = os.get_terminal_size(sys.stderr.fileno()).columns
    except (OSError, ValueError):
        return PIPE_WIDTH
    return columns if columns > 0 else PIPE_WIDTH  # a terminal that does not say: a pipe


@dataclass(frozen=True)
class Col:
    """A table column: its heading (a key of `vocabulary.HEADINGS`) and its cell.

    `no_wrap`: a date, code or number, shown whole on one line or not at all;
    `markup`: the cell is rich markup kiemtra wrote (colours); any other cell is shown
    literally, so a finding with "[/]" in it is text, never markup;
    `min_width`: how wide a text column would like to be (a table leaves other columns
    out for it before narrowing it to its longest word); `drop`: 0
    for a column always shown, else its rank among those left out when the table would
    be wider than the terminal (the highest first).

    In a file for a spreadsheet (`sheet_of`: --format xlsx, the audit's CSV) the column
    keeps its heading and gives `value`: a typed cell (a date, a moment, a number, the
    text itself), with `number_format` (vi, en) for its numbers; without `value`, the
    table's cell with its markup taken off, its "-" left empty."""

    heading: str
    cell: Callable[[Row], str]
    min_width: int | None = None
    no_wrap: bool = False
    justify: str = "left"
    drop: int = 0
    markup: bool = False
    value: Callable[[Row], Any] | None = None
    number_format: tuple[str, str] | None = None


PIPE_WIDTH = 120
"""The width of tables written to a pipe or a file when COLUMNS does not say."""
WORD_CAP = 16  # a wrapping column is never made narrower than its longest word, up to this
READABLE = 14  # a text column is first given this much (or its natural width) if it can
EDGES = 3  # what each column adds to a table's width: its rule and a space either side


def _lines(cell: str) -> list[str]:
    from rich.text import Text

    return Text.from_markup(cell).plain.split("\n")


def _widths(col: Col, heading: str, cells: list[str]) -> tuple[int, int]:
    """(the narrowest width that keeps the column's content whole, its natural width)."""
    from rich.cells import cell_len

    lines = [line for cell in cells for line in _lines(cell)]
    longest = max((cell_len(line) for line in lines), default=1)
    head_word = max((cell_len(w) for w in heading.split()), default=1)
    natural = max(longest, cell_len(heading))
    if col.no_wrap:
        return max(longest, head_word), natural
    words = max((cell_len(w) for line in lines for w in line.split()), default=1)
    return max(min(words, WORD_CAP), min(head_word, WORD_CAP)), natural


def fit_columns(cols: Sequence[Col], headings: list[str], cells: list[list[str]],
                width: int) -> dict[int, int] | None:
    """The columns shown and their widths, so the table fits `width`: the least important
    columns left out first, the wrapping ones narrowed, dates and codes never cut; None
    when even the columns always shown do not fit (then one record per block).

    A table that can give each text column READABLE cells (its `min_width`, or its
    natural width) is preferred, leaving out columns for it; if even the columns always
    shown cannot have that, they alone are shown, their texts narrowed as needed."""
    sizes = [_widths(col, head, [row[i] for row in cells])
             for i, (col, head) in enumerate(zip(cols, headings, strict=True))]
    comfortable = [least if col.no_wrap else
                   max(least, min(natural, max(READABLE, col.min_width or 0)))
                   for col, (least, natural) in zip(cols, sizes, strict=True)]
    keep = _kept(cols, comfortable, width)
    floor = comfortable
    if keep is None:  # only the columns always shown, narrowed to their longest words
        floor = [least for least, _ in sizes]
        keep = [i for i, col in enumerate(cols) if not col.drop]
        if sum(floor[i] for i in keep) + EDGES * len(keep) + 1 > width:
            return None
    return _spread(cols, sizes, {i: floor[i] for i in keep}, width)


def _kept(cols: Sequence[Col], floor: list[int], width: int) -> list[int] | None:
    """The columns kept when each is `floor` wide, the least important left out first."""
    keep = list(range(len(cols)))
    while sum(floor[i] for i in keep) + EDGES * len(keep) + 1 > width:
        droppable = [i for i in keep if cols[i].drop > 0]
        if not droppable:
            return None
        keep.remove(max(droppable, key=lambda i: (cols[i].drop, i)))
    return keep


def _spread(cols: Sequence[Col], sizes: list[tuple[int, int]], widths: dict[int, int],
            width: int) -> dict[int, int]:
    """The room left shared out: texts grow first, towards their natural width (in
    proportion to what each lacks), then the fixed columns, so their headings unwrap."""
    spare = width - sum(widths.values()) - EDGES * len(widths) - 1
    for wrapping in (True, False):
        room = {i: max(sizes[i][1] - w, 0) for i, w in widths.items()
                if cols[i].no_wrap is not wrapping}
        wanted = sum(room.values())
        if not wanted:
            continue
        if wanted <= spare:
            for i, extra in room.items():
                widths[i] += extra
            spare -= wanted
            continue
        for i, extra in room.items():
            widths[i] += extra * spare // wanted
        break
    return widths


CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def literal(text: str) -> str:
    """Stored text as a table shows it: never read as rich markup ("[/]" stays "[/]"), and
    a control character (a tampered or very old record: kiemtra refuses them on input) as
    its visible code, so it cannot move the cursor or colour the terminal."""
    from rich.markup import escape

    return escape(CONTROL.sub(lambda m: f"\\x{ord(m[0]):02x}", text))


def show_table(title: str, cols: Sequence[Col], rows: Iterable[Row],
               overflow: str = "fold") -> None:
    """The one way kiemtra draws a table: fitted to the terminal's width (`fit_columns`),
    or, in a terminal too narrow for it, one block of "field: value" lines per row."""
    from rich.table import Table
    from rich.text import Text

    from kiemtra.domain.vocabulary import HEADINGS

    out = console()
    headings = [settings().word(HEADINGS[col.heading]) for col in cols]
    cells = [[col.cell(row) if col.markup else literal(col.cell(row)) for col in cols]
             for row in rows]
    widths = fit_columns(cols, headings, cells, out.width)
    if widths is None:
        out.print(f"[italic]{literal(title)}[/]")
        for row in cells:
            out.print("")
            for head, cell in zip(headings, row, strict=True):
                out.print(f"[bold]{head}:[/] {cell}", overflow="fold")
        return
    table = Table(title=literal(title), title_justify="left")
    for i, width in widths.items():
        col = cols[i]
        # a heading wraps at its spaces even over a column that never wraps
        table.add_column(Text(headings[i], no_wrap=False), width=width, no_wrap=col.no_wrap,
                         justify=col.justify,  # type: ignore[arg-type]
                         overflow=overflow)  # type: ignore[arg-type]
    for row in cells:
        table.add_row(*(row[i] for i in widths))
    out.print(table)


BLANKS = ("-", "—")  # how a table marks an empty cell


def sheet_of(title: str, cols: Sequence[Col], rows: Sequence[Row]) -> Sheet:
    """The table `cols` draws, as a sheet for a file: numbered rows (STT), then the same
    columns under the same headings, each giving its typed `value`."""
    from kiemtra.domain.vocabulary import HEADINGS
    from kiemtra.projections.sheets import Sheet

    s = settings()
    headings = [s.word(HEADINGS["no"]), *(s.word(HEADINGS[col.heading]) for col in cols)]
    cells = [[n, *(sheet_cell(col, row) for col in cols)] for n, row in enumerate(rows, 1)]
    return Sheet(title, headings, cells, [None, *(col.number_format for col in cols)])


def sheet_cell(col: Col, row: Row) -> Any:
    """The cell of a file: the column's typed value, or its table text; a table's mark
    for nothing (`BLANKS`) is an empty cell either way."""
    if col.value is not None:
        value = col.value(row)
    else:  # the table's text without its colours; a plain column's text as it is
        value = "\n".join(_lines(col.cell(row))) if col.markup else col.cell(row)
    return None if isinstance(value, str) and value in BLANKS else value


def day_value(key: str) -> Callable[[Row], date | None]:
    """A sheet's cell: the row's ISO date `key` as a date."""
    def value(r: Row) -> date | None:
        from kiemtra.domain.formats import as_date

        return as_date(r[key])

    return value


@dataclass(frozen=True)
class Output:
    """Where a read goes: `form` table, json, csv or xlsx; a workbook to `path` (-o), which
    must not exist yet unless `force`."""

    form: str
    path: str | None
    force: bool

    @classmethod
    def checked(cls, form: str, path: str | None, force: bool) -> Output:
        """-o goes with --format xlsx, and xlsx needs it; --json is --format json, and
        contradicts csv or xlsx (usage errors: exit 2)."""
        ctx = click.get_current_context()
        s = settings()
        if s.json and form in ("csv", "xlsx"):
            raise click.UsageError(say(
                f"--json và --format {form} không dùng cùng nhau: chọn một cách trình bày.",
                f"--json and --format {form} exclude each other: choose one."), ctx)
        if form == "json" or s.json:
            form, s.json = "json", True  # one switch: the progress bar stays away, too
        if form == "xlsx" and not path:
            raise click.UsageError(say(
                "Với --format xlsx, cần cho biết tệp sẽ ghi: -o TỆP.xlsx.",
                "--format xlsx needs the file to write: -o FILE.xlsx."), ctx)
        if path and form != "xlsx":
            raise click.UsageError(say(
                "Tùy chọn -o chỉ dùng cùng --format xlsx.",
                "The option -o goes only with --format xlsx."), ctx)
        return cls(form, path, force)

    def emit(self, data: Any, show: Callable[[Any], None],
             sheets: Callable[[Any], list[Sheet]]) -> None:
        """JSON, the table, or the workbook of `sheets(data)`."""
        if self.form == "xlsx":
            self.write(sheets(data))
        elif self.form == "json":
            emit_json(data)
        else:
            emit(data, show)

    def write(self, sheets: list[Sheet]) -> None:
        from kiemtra.projections.sheets import workbook_bytes
        from kiemtra.workflow import replace_file

        assert self.path is not None
        replace_file(self.path, workbook_bytes(sheets, settings().lang), force=self.force)
        n = len(sheets[0].rows)
        click.echo(say(f"Đã ghi {n} dòng vào {self.path}.",
                       f"Wrote {n} row{'' if n == 1 else 's'} to {self.path}."), err=True)


def force_option(f: F) -> F:
    return option("--force", is_flag=True, help="Replace a file already at the -o path.",
                  help_vi="Ghi đè tệp đã có tại đường dẫn -o.")(f)


def write_output(path: str, content: bytes | Iterable[bytes], force: bool) -> None:
    """A file the user asked for with -o: whole or not at all, an existing one kept unless
    --force (`replace_file`); "-" is standard output. `content` may come in pieces."""
    from kiemtra.workflow import replace_file

    if path == "-":
        for piece in [content] if isinstance(content, bytes) else content:
            sys.stdout.buffer.write(piece)
        sys.stdout.buffer.flush()
    else:
        replace_file(path, content, force=force)


def output_options(*forms: str) -> Callable[[F], F]:
    """`--format`, `-o FILE` and `--force`: the command checks them with `Output.checked`."""
    csv = "csv" in forms

    def wrap(f: F) -> F:
        for add in (
            force_option,
            option("-o", "--output", type=click.Path(dir_okay=False),
                   help="The Excel file to write (with --format xlsx).",
                   help_vi="Tệp Excel sẽ ghi (dùng cùng --format xlsx)."),
            option("--format", "form", type=click.Choice(forms), default="table",
                   show_default=True,
                   help="table for people, json (as --json), " + ("csv, " if csv else "")
                        + "or xlsx: an Excel workbook written to -o FILE.",
                   help_vi="table: bảng để xem; json: như --json; "
                           + ("csv: tệp CSV mở được bằng Excel; " if csv else "")
                           + "xlsx: tệp Excel, ghi vào -o TỆP."),
        ):
            f = add(f)
        return f

    return wrap


# --- the group and its error handling ----------------------------------------------------


HINTS: dict[str, tuple[str, str]] = {
    "notice_required": ("Hãy chạy “kiemtra notify”, hoặc dùng --surprise nếu đây là kiểm tra "
                        "đột xuất.", "Run 'kiemtra notify' first, or use --surprise for a "
                        "surprise inspection."),
    "report_required": ("Ghi nhận báo cáo bằng “kiemtra report”, hoặc miễn báo cáo với "
                        "--without-report LÝ_DO.", "Record it with 'kiemtra report', or waive "
                        "it with --without-report REASON."),
    "surprise_without_notice": ("Bỏ tùy chọn --surprise.", "Drop --surprise."),
    "on_site_working_day": ("Nếu thật sự kiểm tra vào ngày nghỉ, dùng "
                            "--allow-non-working-day.", "Use --allow-non-working-day if the "
                            "visit really happens on a day off."),
    "on_site_date": ("Nếu đổi ngày, hãy chạy “kiemtra reschedule” trước.",
                     "To change it, run 'kiemtra reschedule' first."),
    "absence_approval": ("Tổ trưởng “{leader}” ghi nhận, hoặc thêm --approved-by {leader}.",
                         "Let the leader '{leader}' record it, or add --approved-by {leader}."),
    "campaign": ("Xem danh sách bằng “kiemtra campaigns”.",
                 "List them with 'kiemtra campaigns'."),
    "document_date": ("Ghi ngày ban hành bằng --date (từ {earliest} trở đi).",
                      "Give the issue date with --date ({earliest} or later)."),
    "undo_document": ("Thêm --void-document để ghi nhận văn bản hết hiệu lực.",
                      "Add --void-document to record the document as void."),
    "undo_date": ("Ghi ngày bằng --date.", "Give the date with --date."),
    "campaign_code": ("Nếu đây là kế hoạch sửa đổi, dùng “kiemtra plan amend TỆP --reason "
                      "LÝ_DO”.", "If this is an amended plan, use 'kiemtra plan amend FILE "
                      "--reason REASON'."),
    "amend_remove_unit": ("Nếu đơn vị không còn được kiểm tra, giữ đơn vị trong kế hoạch và "
                          "dùng “kiemtra cancel”.", "If the unit is no longer inspected, keep "
                          "it in the plan and use 'kiemtra cancel'."),
    "database_name": ("Hãy ghi đường dẫn tệp sau --db (hoặc trong KIEMTRA_DB), hoặc bỏ --db để "
                      "dùng kiemtra.db trong thư mục hiện tại.", "Give a file path after --db "
                      "(or in KIEMTRA_DB), or leave --db out to use kiemtra.db in the current "
                      "folder."),
    "database_folder": ("Hãy ghi cả tên tệp, ví dụ --db {db}/kiemtra.db.",
                        "Name the file too, for example --db {db}/kiemtra.db."),
    "database_foreign": ("Hãy chọn một tệp khác bằng --db (kiemtra tạo tệp mới nếu chưa có).",
                         "Choose another file with --db (kiemtra makes a new one if there is "
                         "none)."),
    "database_read_only": ("Các lệnh chỉ xem (status, due, history, audit verify…) vẫn dùng "
                           "được.", "Commands that only read (status, due, history, audit "
                           "verify…) still work."),
}
OVERRIDE_HINT = ("Nếu thật sự cần, Tổ trưởng có thể chấp thuận bằng --override-reason LÝ_DO.",
                 "If it must be so, the leader can accept it with --override-reason REASON.")
OVERRIDE_COMMANDS = frozenset({"notify", "reschedule", "inspect", "cancel"})
"""The commands that take --override-reason: only their refusals of a rule the leader may
set aside (`domain/overrides.py`) suggest it."""
"""What this command line's user can do about a refusal, by the error's rule."""

OPTION_NAMES = {"reason": "--reason", "finding": "--finding", "note": "--note",
                "report_waiver": "--without-report", "actor": "--actor",
                "override": "--override-reason"}
"""The fields that domain messages name, as this command line's user typed them."""


def error_text(exc: KiemtraError, lang: str, command: str | None = None) -> str:
    """The refusal's sentence, and what `command`'s user can do about it."""
    names = dict(OPTION_NAMES, actor_source="--actor hoặc KIEMTRA_ACTOR" if lang == "vi"
                 else "--actor or KIEMTRA_ACTOR")
    text = exc.message(lang, names)
    from kiemtra.domain.overrides import OVERRIDABLE

    hint = HINTS.get(exc.rule)
    if exc.rule in OVERRIDABLE:
        hint = OVERRIDE_HINT if command in OVERRIDE_COMMANDS else None
    if hint is not None:
        text += " " + (hint[0] if lang == "vi" else hint[1]).format(**exc.values(lang, names))
    return text


BilingualGroup.group_class = BilingualGroup


PROGRESS_WORDS = {"rebuild": ("Đang dựng lại các bảng tổng hợp", "Rebuilding the views"),
                  "catch_up": ("Đang cập nhật các bảng tổng hợp", "Updating the views"),
                  "verify": ("Đang kiểm tra chuỗi băm", "Checking the hash chain"),
                  "export": ("Đang xuất hồ sơ", "Exporting the record")}
PROGRESS_AFTER = 0.5
"""Seconds of work before a bar appears, so a quick command shows none (KIEMTRA_PROGRESS_AFTER
sets another: 0 shows every bar, as the tests need)."""


class TerminalProgress:
    """How far a long read is, on the terminal's stderr (rich's progress bar, gone when the
    work ends); nothing under --json. Installed only when stderr is a terminal.

    Each piece of work (a rebuild, a verify…) is timed from its own first report, and
    shown only once it has lasted `after` seconds; a spinner (work of unknown size) is
    started by a timer. `generation` counts the pieces of work, so that a timer that fires
    late, after its work has finished, shows nothing."""

    def __init__(self, ctx: click.Context) -> None:
        import time

        self.ctx, self.clock = ctx, time.monotonic
        given = os.environ.get("KIEMTRA_PROGRESS_AFTER", "")
        self.after = float(given) if given.replace(".", "", 1).isdigit() else PROGRESS_AFTER
        self.bar: Any = None
        self.tasks: dict[str, Any] = {}
        self.first_seen: dict[str, float] = {}
        self.lock = threading.Lock()
        self.timer: threading.Timer | None = None
        self.generation = 0
        self.closed = False

    def __call__(self, what: str, done: int, total: int | None) -> None:
        found = self.ctx.find_object(Settings)
        if found is None or found.json:
            return
        with self.lock:
            if total is not None and done >= total:  # finished: gone before the result
                self._stop()
                return
            if what not in self.first_seen:
                self.first_seen[what] = self.clock()
                if total is None and self.after > 0:  # a spinner, if the work lasts
                    self.timer = threading.Timer(self.after, self._show,
                                                 (self.generation, what, found, None))
                    self.timer.daemon = True
                    self.timer.start()
                    return
            if self.bar is None and self.clock() - self.first_seen[what] < self.after:
                return
            generation = self.generation
        self._show(generation, what, found, total, done)

    def _show(self, generation: int, what: str, found: Settings, total: int | None,
              done: int = 0) -> None:
        with self.lock:
            if self.closed or generation != self.generation:
                return  # its work has finished meanwhile
            if self.bar is None:
                from rich.console import Console
                from rich.progress import (
                    BarColumn,
                    Progress,
                    SpinnerColumn,
                    TextColumn,
                    TimeElapsedColumn,
                )

                # a bar and its percentage when the size is known, else the time it takes
                measured = ((BarColumn(), TextColumn("{task.percentage:>3.0f} %"))
                            if total is not None else (TimeElapsedColumn(),))
                self.bar = Progress(SpinnerColumn(), TextColumn("{task.description}"),
                                    *measured, console=Console(stderr=True), transient=True,
                                    redirect_stdout=False, redirect_stderr=False)
                self.bar.start()
            if what not in self.tasks:
                words = PROGRESS_WORDS.get(what, (what, what))
                self.tasks[what] = self.bar.add_task(words[0] if found.vi() else words[1],
                                                     total=total)
            self.bar.update(self.tasks[what], completed=done, total=total)

    def _stop(self) -> None:
        """The work has finished (the lock held): no bar, no pending spinner."""
        self.generation += 1
        self.first_seen.clear()
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if self.bar is not None:
            self.bar.stop()
            self.bar = None
            self.tasks.clear()

    def close(self) -> None:
        with self.lock:
            self.closed = True
            self._stop()


class KiemtraGroup(BilingualGroup):
    """Turns every expected failure into one sentence on stderr and its exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        if ctx.parent is not None or not sys.stderr.isatty():
            return self._invoke(ctx)
        from kiemtra.projections.progress import reporting

        shown = TerminalProgress(ctx)
        try:
            with reporting(shown):
                return self._invoke(ctx)
        finally:
            shown.close()

    def _invoke(self, ctx: click.Context) -> Any:
        from kiemtra.domain.errors import KiemtraError

        try:
            return super().invoke(ctx)
        except KiemtraError as exc:
            if os.environ.get("KIEMTRA_DEBUG"):
                raise
            click.echo(error_text(exc, getattr(ctx.find_object(Settings), "lang", "vi"),
                                  ctx.invoked_subcommand),
                       err=True)
            ctx.exit(exc.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except BrokenPipeError:  # `kiemtra status | head`: the reader has what it wanted
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(0)
        except Exception as exc:  # an unexpected failure: a sentence, not a traceback
            if os.environ.get("KIEMTRA_DEBUG"):
                raise
            self._unexpected(ctx, exc)

    @staticmethod
    def _unexpected(ctx: click.Context, exc: Exception) -> None:
        from kiemtra.workflow import database_fault

        found = ctx.find_object(Settings)
        # a database fault wherever it surfaced (a full disk, a damaged or read-only file,
        # a server that cannot be reached, a lock held too long): its plain sentence
        fault = database_fault(exc, found.database) if found is not None else None
        if fault is not None:
            click.echo(error_text(fault, found.lang if found else "vi",
                                  ctx.invoked_subcommand), err=True)
            ctx.exit(fault.exit_code)
        click.echo(f"Lỗi không mong đợi (unexpected error): {type(exc).__name__}: {exc}. "
                   "Chạy lại với KIEMTRA_DEBUG=1 để xem chi tiết.", err=True)
        ctx.exit(2)


@click.group(cls=KiemtraGroup, context_settings={"help_option_names": ["-h", "--help"]},
             help_vi="""kiemtra — tự kiểm tra công tác cải cách hành chính cấp xã.

             Ghi nhận từng bước kiểm tra tại mỗi đơn vị thành sự kiện, đối chiếu các
             thời hạn theo quy định và cho biết mỗi đơn vị đang ở bước nào.

             \b
             Bắt đầu:  kiemtra demo
                       kiemtra plan template > ke-hoach.toml
                       kiemtra plan import ke-hoach.toml
             """)
@option("--db", envvar="KIEMTRA_DB", default="kiemtra.db", show_default=True, metavar="DB",
        help="Database: a SQLite file path or a URL (postgresql://user@host/db).",
        help_vi="Cơ sở dữ liệu: đường dẫn tệp SQLite hoặc địa chỉ "
                "(postgresql://người_dùng@máy_chủ/csdl).")
@option("--actor", envvar="KIEMTRA_ACTOR", default=None, metavar="ID",
        help="Who is acting (team member id, secretariat id or unit code). "
             "Default: the OS user.",
        help_vi="Người thực hiện (mã thành viên Tổ, mã cơ quan thường trực hoặc mã đơn vị). "
                "Mặc định: tên người dùng của máy.")
@option("--json", "json_", is_flag=True, help="Machine-readable JSON on stdout.",
        help_vi="In kết quả dạng JSON (cho phần mềm khác đọc).")
@option("--lang", envvar="KIEMTRA_LANG", type=click.Choice(["vi", "en"]), default="vi",
        show_default=True, help="Language of labels and messages.",
        help_vi="Ngôn ngữ của nhãn và thông báo (vi: tiếng Việt, en: tiếng Anh).")
@option("--version", is_flag=True, expose_value=False, is_eager=True,
        callback=lambda ctx, _, given: show_version(ctx) if given else None,
        help="Show the version and exit.", help_vi="Hiện số phiên bản rồi thoát.")
@click.pass_context
def cli(ctx: click.Context, db: str, actor: str | None, json_: bool, lang: str) -> None:
    """kiemtra — administrative-reform self-inspection of a commune.

    Records every step of each unit's inspection as an event, checks the
    legal deadlines, and shows where each unit stands.

    \b
    Start:  kiemtra demo
            kiemtra plan template > ke-hoach.toml
            kiemtra plan import ke-hoach.toml
    """
    given = ctx.get_parameter_source("db") is not click.core.ParameterSource.DEFAULT
    ctx.obj = Settings(db=db, actor=actor or getpass.getuser(), json=json_, lang=lang,
                       db_given=given)


def show_version(ctx: click.Context) -> None:
    from importlib.metadata import version

    number = version("kiemtra")
    click.echo(f"kiemtra, phiên bản {number}" if _vi(ctx) else f"kiemtra, version {number}")
    ctx.exit()


# --- usage errors in the reader's language -----------------------------------------------

CLICK_VALUE_MESSAGES: tuple[tuple[str, str, str], ...] = (
    # click's own messages of its types (click 8), as patterns → (Vietnamese, English)
    (r"^'(?P<v>.*)' is not one of (?P<c>.*)\.$", "“{v}” không phải một trong các giá trị: {c}.",
     "'{v}' is not one of {c}."),
    (r"^'(?P<v>.*)' is not a valid integer(?: range)?\.$", "“{v}” không phải một số nguyên.",
     "'{v}' is not a whole number."),
    (r"^(?P<v>.*) is not in the range (?P<r>.*)\.$", "{v} nằm ngoài khoảng cho phép ({r}).",
     "{v} is outside the allowed range ({r})."),
    (r"^(?:File|Directory|Path) '(?P<v>.*)' is a directory\.$",
     "“{v}” là một thư mục, không phải tệp.", "'{v}' is a folder, not a file."),
    (r"^(?:File|Directory|Path) '(?P<v>.*)' does not exist\.$", "không có tệp “{v}”.",
     "there is no file '{v}'."),
    (r"^(?:File|Directory|Path) '(?P<v>.*)' is not readable\.$",
     "không có quyền đọc tệp “{v}”.", "'{v}' cannot be read (no permission)."),
)


def _pair(text: str, lang: str) -> str:
    """A message the domain's date parser wrote as "tiếng Việt (English)": the reader's
    half (the parser serves every front end; the language is known here)."""
    if text.endswith(")") and " (" in text:
        vi, _, en = text[:-1].rpartition(" (")
        if vi and en and "“" in vi:
            return vi if lang == "vi" else en
    return text


def click_value_message(text: str, lang: str) -> str:
    """One of click's own value messages (its types'), in the reader's language."""
    for pattern, vi, en in CLICK_VALUE_MESSAGES:
        found = re.match(pattern, text)
        if found:
            values = {k: v.replace("'", "") if k == "c" else v
                      for k, v in found.groupdict().items()}
            return (vi if lang == "vi" else en).format(**values)
    return text


def _param_name(param: click.Parameter | None, hint: Any, lang: str) -> str:
    if param is None:
        return str(hint or "")
    if isinstance(param, click.Option):
        return " / ".join(param.opts)
    name = (param.human_readable_name or param.name or "").upper()
    return ARGUMENT_NAMES_VI.get(name, name) if lang == "vi" else name


def usage_text(exc: click.UsageError, lang: str) -> str:
    """A usage error as one sentence in `lang`, with where to read the command's help."""
    vi = lang == "vi"
    where = exc.ctx.command_path if exc.ctx else "kiemtra"
    if isinstance(exc, click.NoSuchOption):
        near = ", ".join(sorted(exc.possibilities or ()))
        text = (f"Không có tùy chọn {exc.option_name}." if vi
                else f"There is no option {exc.option_name}.")
        if near:
            text += f" Có phải là {near}?" if vi else f" Did you mean {near}?"
    elif isinstance(exc, click.MissingParameter):
        name = _param_name(exc.param, exc.param_hint, lang)
        kind = "tùy chọn" if isinstance(exc.param, click.Option) else "tham số"
        text = (f"Thiếu {kind} {name}." if vi
                else f"The {'option' if kind == 'tùy chọn' else 'argument'} {name} is missing.")
    elif isinstance(exc, click.BadParameter):
        name = _param_name(exc.param, exc.param_hint, lang)
        text = (f"Giá trị không hợp lệ cho {name}: {click_value_message(exc.message, lang)}"
                if vi else f"Invalid value for {name}: {click_value_message(exc.message, lang)}")
    else:
        text = _usage_message(exc.format_message(), vi)
    text = text if text.endswith((".", "?", ":")) else text + "."
    return text + (f" Xem “{where} --help”." if vi else f" See '{where} --help'.")


def _usage_message(message: str, vi: bool) -> str:
    """The other usage errors of click's parser, by their English wording."""
    patterns = (
        (r"^No such command '(?P<n>[^']*)'\.(?: Did you mean '(?P<m>[^']*)'\?)?$",
         "Không có lệnh “{n}”.", "There is no command '{n}'."),
        (r"^Option '(?P<n>[^']*)' requires an argument\.$", "Tùy chọn {n} cần một giá trị.",
         "The option {n} needs a value."),
        (r"^Option '(?P<n>[^']*)' requires (?P<k>\d+) arguments\.$",
         "Tùy chọn {n} cần {k} giá trị.", "The option {n} needs {k} values."),
        (r"^Option '(?P<n>[^']*)' does not take a value\.$",
         "Tùy chọn {n} không nhận giá trị.", "The option {n} takes no value."),
        (r"^Got unexpected extra arguments? \((?P<a>.*)\)$", "Thừa tham số: {a}.",
         "Unexpected extra arguments: {a}."),
        (r"^Missing command\.$", "Thiếu tên lệnh.", "A command name is missing."),
    )
    for pattern, vi_text, en_text in patterns:
        found = re.match(pattern, message)
        if found:
            text = (vi_text if vi else en_text).format(**found.groupdict())
            if found.groupdict().get("m"):
                text += (f" Có phải là “{found['m']}”?" if vi else f" Did you mean '{found['m']}'?")
            return text
    return message


def language_of(argv: Sequence[str]) -> str:
    """The language asked for, read before click has parsed anything (a usage error may
    come before the group's options are parsed): `--lang`, else KIEMTRA_LANG, else vi."""
    for i, arg in enumerate(argv):
        given = argv[i + 1] if arg == "--lang" and i + 1 < len(argv) else (
            arg.split("=", 1)[1] if arg.startswith("--lang=") else None)
        if given in ("vi", "en"):
            return given
    return "en" if os.environ.get("KIEMTRA_LANG") == "en" else "vi"


def main() -> None:
    """Console-script entry point: usage errors become one line on stderr, exit code 2."""
    try:
        # bare `kiemtra`: its help, and success (a newcomer's first try is not an error)
        code = cli.main(args=sys.argv[1:] or ["--help"], prog_name="kiemtra",
                        standalone_mode=False)
    except click.UsageError as exc:
        click.echo(usage_text(exc, language_of(sys.argv[1:])), err=True)
        sys.exit(2)
    except click.ClickException as exc:
        click.echo(exc.format_message(), err=True)
        sys.exit(exc.exit_code)
    except click.Abort:
        click.echo("Đã dừng." if language_of(sys.argv[1:]) == "vi" else "Aborted.", err=True)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


# --- plan ---------------------------------------------------------------------------------


@cli.group(help_vi="Kế hoạch kiểm tra: nhập, xem, sửa đổi và tệp mẫu.")
def plan() -> None:
    """The inspection plan: import, show, amend, and a template file."""


@plan.command("template", help_vi="In ra tệp kế hoạch mẫu có chú thích.",
              example="kiemtra plan template > ke-hoach-2027.toml")
def plan_template() -> None:
    """Print an annotated plan file to start from."""
    from kiemtra.workflow import template_text

    click.echo(template_text(), nl=False)


@plan.command("import", help_vi="Kiểm tra và ghi nhận kế hoạch từ tệp TOML; in ra mã kế "
              "hoạch.", example="kiemtra plan import ke-hoach-2026.toml")
@argument("file", type=click.Path(dir_okay=False))
@option("--date", "day", type=DATE, default=None,
        help="Effective date of the import (default: today in Vietnam).",
        help_vi="Ngày thực hiện việc nhập (mặc định: hôm nay, giờ Việt Nam).")
@json_option
def plan_import(file: str, day: date | None) -> None:
    """Check and record the plan of a TOML file; print the campaign's code."""
    from kiemtra.workflow import import_plan_file

    s = settings()
    imported = import_plan_file(s.database, s.actor, file, day or today())
    codes = [u.code for u in imported.units]
    if s.json:
        emit_json({"campaign": imported.code, "units": codes})
        return
    click.echo(imported.code)
    click.echo(say(f"Đã nhập kế hoạch “{imported.title}” với {len(codes)} đơn vị: "
                   f"{', '.join(codes)}.",
                   f"Imported “{imported.title}” with {len(codes)} units: {', '.join(codes)}."),
               err=True)
    warn_rules(imported)


def warn_rules(imported: Any) -> None:
    """One line when the plan's notice period alone can leave the unit no working day for
    its report: notify and reschedule will then ask for a later visit."""
    from datetime import timedelta

    from kiemtra.domain.rules import notice_leaves_no_report_time

    rules = imported.rules
    worst = notice_leaves_no_report_time(rules, imported.calendar(),
                                         imported.period_start - timedelta(days=60),
                                         imported.period_end)
    if worst:
        from kiemtra.domain.vocabulary import period_words

        lang = settings().lang
        notice = period_words(rules.notice.days, rules.notice.kind, lang)
        report = period_words(rules.report_lead.days, rules.report_lead.kind, lang)
        click.echo(say(
            f"Lưu ý: với quy tắc thông báo trước {notice} và báo cáo trước {report}, thông "
            f"báo trước đúng {notice} có thể không để đơn vị ngày làm việc nào để gửi báo "
            f"cáo; khi đó ngày kiểm tra phải cách ngày thông báo đến {worst} ngày (notify "
            f"sẽ nêu ngày sớm nhất được phép).",
            f"Note: with a notice of {notice} and a report {report} before the visit, a "
            f"notice exactly {notice} ahead can leave the unit no working day for its "
            f"report; the visit must then be up to {worst} days after the notice (notify "
            f"names the earliest allowed date)."), err=True)


@plan.command("show", help_vi="Kế hoạch hiện hành: thời gian, quy tắc, lịch, Tổ kiểm tra, "
              "đơn vị, thư nhắc.", example="kiemtra plan show KTD-TKT-2026")
@argument("campaign")
@option("--at", "at", type=TimestampParam(),
        help="The plan as it stood at this moment (a date, or a date and time).",
        help_vi="Kế hoạch như tại thời điểm này (một ngày, hoặc ngày và giờ).")
@json_option
def plan_show(campaign: str, at: datetime | None) -> None:
    """The plan in force: period, rules, calendar, team, units, reminders."""
    from kiemtra.notifications.rules import effective_rules
    from kiemtra.projections.plan_view import plan_view

    emit(plan_view(settings().database, campaign, effective_rules, at), print_plan)


@plan.command("amend", help_vi="""Ghi nhận kế hoạch sửa đổi (cùng mã kế hoạch): in ra
              những gì thay đổi.

              Có thể thêm đơn vị, thay thành viên, đổi quy tắc và ngày dự kiến; các thời
              hạn chưa thực hiện được tính lại theo quy tắc mới. Chỉ bỏ được đơn vị chưa
              có bước nào được ghi nhận (nếu đã có: kiemtra cancel).""",
              example='kiemtra plan amend ke-hoach-2026.toml --reason "QĐ số 45/QĐ-UBND" '
                      '--dry-run')
@argument("file", type=click.Path(dir_okay=False))
@option("--reason", required=True, help="Why the plan changes (kept in the trail).",
        help_vi="Lý do sửa đổi kế hoạch (lưu trong nhật ký).")
@option("--date", "day", type=DATE, default=None,
        help="Effective date of the amendment (default: today in Vietnam).",
        help_vi="Ngày thực hiện việc sửa đổi (mặc định: hôm nay, giờ Việt Nam).")
@option("--dry-run", is_flag=True, help="Only show what would change; record nothing.",
        help_vi="Chỉ cho xem những gì sẽ thay đổi; không ghi nhận gì.")
@json_option
def plan_amend(file: str, reason: str, day: date | None, dry_run: bool) -> None:
    """Record an amended plan (same campaign code): print what changes.

    Units may be added, members changed, rules and planned dates changed; the open
    deadlines are derived again under the new rules. A unit leaves the plan only
    while nothing is recorded for it (otherwise: kiemtra cancel).
    """
    from kiemtra.workflow import amend_plan_file

    s = settings()
    result = amend_plan_file(s.database, s.actor, file, reason=reason, day=day or today(),
                             dry_run=dry_run)
    emit(result, print_amendment)


def print_amendment(r: Row) -> None:
    from kiemtra.projections.audit.describe import amendment_text, change_text

    lang = settings().lang
    out = console()
    if r["dry_run"]:
        out.print(say("Chạy thử (--dry-run): chưa ghi nhận gì.",
                      "Dry run (--dry-run): nothing is recorded."), highlight=False)
    out.print(say(f"Kế hoạch {r['campaign']}, sửa đổi lần {r['version'] - 1}:",
                  f"Plan {r['campaign']}, amendment {r['version'] - 1}:"), highlight=False)
    for change in r["changes"]:
        out.print(f"  - {amendment_text(change, lang)}", highlight=False, markup=False)
    if r["deadlines"]:
        out.print(say("Ngày và hạn thay đổi:", "Dates and deadlines that change:"),
                  highlight=False)
        for moved in r["deadlines"]:
            out.print(f"  - {moved['unit']} ({moved['unit_name']}): {change_text(moved, lang)}",
                      highlight=False, markup=False)
    if not r["dry_run"]:
        out.print(say(f"Đã ghi nhận kế hoạch sửa đổi (phiên bản {r['version']}).",
                      f"Recorded the amended plan (version {r['version']})."), highlight=False)


def print_plan(p: Row) -> None:

    out = console()
    period = f"{fmt(p['period']['start'])} – {fmt(p['period']['end'])}"
    out.print(f"{p['campaign']} — {p['title']}", style="bold", highlight=False, markup=False)
    for label, value in ((("Cơ quan ban hành", "Authority"), p["authority"]),
                         (("Thời gian kiểm tra", "Period"), period),
                         (("Số liệu từ ngày", "Figures from"), fmt(p["data_from"])),
                         (("Nhập ngày", "Imported on"),
                          f"{fmt(p['imported_on'])} ({p['imported_by']})"),
                         *([(("Sửa đổi", "Amended"), say(
                             f"lần {p['version'] - 1}, ngày {fmt(p['amended']['amended_on'])} "
                             f"({p['amended']['amended_by']}): {p['amended']['reason']}",
                             f"{p['version'] - 1} time(s), last on "
                             f"{fmt(p['amended']['amended_on'])} "
                             f"({p['amended']['amended_by']}): {p['amended']['reason']}"))]
                           if p.get("amended") else [])):
        out.print(f"{settings().word(label)}: {value}", highlight=False, markup=False)
    from kiemtra.domain.vocabulary import period_words

    rules = {name: period_words(r["days"], r["kind"], settings().lang)
             for name, r in p["rules"].items()}
    out.print(say("Quy tắc: thông báo trước {notice}; báo cáo trước {report_lead}; kết luận "
                  "trong {conclusion_within}; khắc phục trong {remediation_within}.",
                  "Rules: notice {notice} ahead; report {report_lead} ahead; conclusion "
                  "within {conclusion_within}; remediation within {remediation_within}."
                  ).format(**rules), highlight=False)
    extra = [*(say("nghỉ ", "off ") + fmt(d) for d in p["calendar"]["extra_days_off"]),
             *(say("làm bù ", "working ") + fmt(d) for d in p["calendar"]["extra_working_days"])]
    out.print(say("Lịch riêng: ", "Calendar overrides: ") + (", ".join(extra) or "-"),
              highlight=False)
    print_plan_tables(p)


def print_plan_tables(p: Row) -> None:
    from kiemtra.domain.vocabulary import DEADLINE_KINDS, role_label

    show_table(say("Tổ kiểm tra", "Team"), (
        Col("actor", lambda r: r["id"], no_wrap=True),
        Col("role", lambda r: role_label(r["role"], settings().lang)),
        Col("name", lambda r: r["name"]),
        Col("email", lambda r: r["email"], no_wrap=True, drop=1),
    ), [*p["team"], {**p["secretariat"], "role": "secretariat"}])
    show_table(say("Đơn vị được kiểm tra", "Units"), (
        Col("unit", lambda r: r["code"], no_wrap=True), Col("unit_name", lambda r: r["name"]),
        Col("planned", lambda r: fmt(r["planned_on_site"]), no_wrap=True),
        Col("email", lambda r: r["email"], no_wrap=True, drop=1),
    ), p["units"])
    show_table(say("Thư nhắc hạn (ngày làm việc so với hạn: -3 là 3 ngày trước hạn)",
                   "Reminders (working days from the due date: -3 is 3 days before)"), (
        Col("deadline", lambda r: settings().word(DEADLINE_KINDS[r["kind"]])),
        Col("stages", lambda r: r["stages"], no_wrap=True),
        Col("to", lambda r: ", ".join(role_label(x, settings().lang) for x in r["to"])),
    ), p["reminders"])


@cli.group(help_vi="Số liệu báo cáo của đơn vị (report --metrics): tệp mẫu có chú thích.")
def metrics() -> None:
    """A unit's report figures (report --metrics): an annotated template."""


@metrics.command("template", help_vi="In ra tệp số liệu báo cáo mẫu, mỗi chỉ tiêu kèm tên "
                 "tiếng Việt.", example="kiemtra metrics template > so-lieu-hcc.toml")
def metrics_template() -> None:
    """Print an annotated report-figures file, each metric with its Vietnamese name."""
    from kiemtra.workflow import metrics_text

    click.echo(metrics_text(), nl=False)


# --- steps --------------------------------------------------------------------------------


def run_step(step: str, campaign: str, unit: str, day: date | None, **options: Any) -> None:
    """Run the workflow service named `step`, then print what it recorded: the row in
    JSON, or one sentence."""
    from kiemtra.workflow import receipt

    service = getattr(settings().workflow(campaign), step)
    row = service(campaign, unit, day=day or today(), **options)
    if settings().json:
        emit_json(row)
    else:
        click.echo(receipt(step, row, settings().lang, options.get("findings", ())))


def step_command(name: str, help_vi: str, example: str) -> Callable[[F], F]:
    """A workflow step: CAMPAIGN UNIT arguments, --date and --json."""

    def wrap(f: F) -> F:
        f = option("--date", "day", type=DATE, default=None,
                   help="Effective date of the step (default: today in Vietnam).",
                   help_vi="Ngày thực hiện bước này (mặc định: hôm nay, giờ Việt Nam).")(f)
        f = json_option(f)
        f = argument("unit")(f)
        f = argument("campaign")(f)
        return cli.command(name, help_vi=help_vi, example=example)(f)  # type: ignore[return-value]

    return wrap


def as_of_option(f: F) -> F:
    return option("--as-of", type=DATE, help="Judge deadlines as of this date (default: today).",
                  help_vi="Xét thời hạn tính đến ngày này (mặc định: hôm nay).")(f)


def override_option(f: F) -> F:
    return option("--override-reason", "override", metavar="REASON",
                  help="The leader accepts a date outside the rules (notice period, time for "
                       "the report, before the plan was issued, outside its period), for this "
                       "reason (kept in the trail).",
                  help_vi="Tổ trưởng cho phép ngày ngoài quy định (thời hạn thông báo, thời "
                          "hạn báo cáo, trước ngày ban hành kế hoạch, ngoài thời gian kiểm "
                          "tra), với lý do này (lưu trong nhật ký).")(f)


MAX_FINDINGS = 999
"""No conclusion numbers its findings beyond this: a larger number is a typing slip (and
every integer option has an upper bound, so none overflows)."""


def day_off_option(f: F) -> F:
    return option("--allow-non-working-day", is_flag=True, help="Accept an on-site day off.",
                  help_vi="Chấp nhận ngày kiểm tra là ngày nghỉ.")(f)


@step_command("notify", "Thông báo lịch kiểm tra cho đơn vị.",
              "kiemtra notify KTD-TKT-2026 vp --on-site 10/08/2026 --date 27/07/2026")
@option("--on-site", type=DATE, required=True, help="On-site inspection date.",
        help_vi="Ngày kiểm tra trực tiếp tại đơn vị.")
@day_off_option
@override_option
def notify(**options: Any) -> None:
    """Notify a unit of its inspection date."""
    run_step("notify", **options)


@step_command("reschedule", "Đổi ngày kiểm tra (thông báo lại, tính lại hạn báo cáo).",
              'kiemtra reschedule KTD-TKT-2026 vhxh --on-site 20/08/2026 --reason "Trùng lịch"')
@option("--on-site", type=DATE, required=True, help="The new on-site date.",
        help_vi="Ngày kiểm tra mới.")
@option("--reason", required=True, help="Why the visit moves.", help_vi="Lý do đổi ngày.")
@day_off_option
@override_option
def reschedule(**options: Any) -> None:
    """Move the visit (a new notice; the report deadline derived again)."""
    run_step("reschedule", **options)


@step_command("report", "Ghi nhận báo cáo của đơn vị (kèm tệp, số liệu).",
              "kiemtra report KTD-TKT-2026 hcc --metrics so-lieu.toml --attach bao-cao.pdf")
@option("--attach", multiple=True, type=click.Path(dir_okay=False),
        help="A file of the report (repeatable); stored with its SHA-256.",
        help_vi="Tệp báo cáo (có thể lặp lại); lưu kèm mã SHA-256.")
@option("--metrics", "metrics_file", type=click.Path(dir_okay=False),
        help="Report figures (TOML, the report outline's metric ids).",
        help_vi="Số liệu báo cáo (tệp TOML theo đề cương; mẫu: kiemtra metrics template).")
def report(**options: Any) -> None:
    """Record the unit's report (with files and figures)."""
    run_step("report", **options)


@step_command("inspect", "Ghi nhận buổi kiểm tra trực tiếp tại đơn vị.",
              "kiemtra inspect KTD-TKT-2026 vp --date 10/08/2026")
@option("--surprise", is_flag=True, help="A surprise inspection: no notice, no report.",
        help_vi="Kiểm tra đột xuất: không thông báo trước, không báo cáo.")
@option("--without-report", metavar="REASON", help="Waive the unit's report, with a reason.",
        help_vi="Miễn báo cáo của đơn vị, ghi rõ lý do.")
@option("--absent", multiple=True, metavar="MEMBER",
        help="A team member absent with the leader's approval (repeatable).",
        help_vi="Thành viên vắng mặt được Tổ trưởng đồng ý (có thể lặp lại).")
@option("--approved-by", metavar="LEADER_ID",
        help="The leader who approved the absences, when someone else records them.",
        help_vi="Tổ trưởng đã đồng ý cho vắng mặt, khi người khác ghi nhận.")
@option("--allow-non-working-day", is_flag=True, help="The visit is on a day off.",
        help_vi="Buổi kiểm tra diễn ra vào ngày nghỉ.")
@override_option
def inspect(**options: Any) -> None:
    """Record the on-site visit at the unit."""
    run_step("inspect", **options)


@step_command("minutes", "Ghi nhận biên bản kiểm tra đã ký.",
              "kiemtra minutes KTD-TKT-2026 vp --attach bien-ban.pdf")
@option("--attach", multiple=True, type=click.Path(dir_okay=False),
        help="The signed minutes file (repeatable).",
        help_vi="Tệp biên bản đã ký (có thể lặp lại).")
def minutes(**options: Any) -> None:
    """Record the signed minutes of the visit."""
    run_step("minutes", **options)


@step_command("conclude", "Ghi nhận thông báo kết luận kiểm tra và các tồn tại, hạn chế.",
              'kiemtra conclude KTD-TKT-2026 vp --finding "Chưa niêm yết TTHC" --finding "…"')
@option("--finding", "findings", multiple=True, metavar="TEXT",
        help="One finding to remediate (repeatable; numbered 1, 2, …).",
        help_vi="Một tồn tại, hạn chế cần khắc phục (có thể lặp lại; đánh số 1, 2, …).")
@option("--remediate-by", type=DATE,
        help="Deadline for every finding (default: the plan's remediation period after the "
             "conclusion).",
        help_vi="Hạn khắc phục mọi tồn tại (mặc định: theo thời hạn khắc phục của kế hoạch, "
                "tính từ ngày kết luận).")
def conclude(**options: Any) -> None:
    """Record the conclusion notice and its findings."""
    run_step("conclude", **options)


@step_command("remediate", "Ghi nhận báo cáo kết quả khắc phục cho từng tồn tại.",
              'kiemtra remediate KTD-TKT-2026 vp --finding 1 --finding 2 --note "Đã niêm yết"')
@option("--finding", "findings", multiple=True, type=click.IntRange(min=1, max=MAX_FINDINGS),
        required=True, metavar="N", help="Number of a remediated finding (repeatable).",
        help_vi="Số thứ tự của tồn tại đã khắc phục (có thể lặp lại).")
@option("--note", help="What was done.", help_vi="Nội dung đã khắc phục.")
@option("--attach", multiple=True, type=click.Path(dir_okay=False),
        help="Evidence file (repeatable).",
        help_vi="Tệp tài liệu kiểm chứng (có thể lặp lại).")
def remediate(**options: Any) -> None:
    """Record the remediation report, finding by finding."""
    run_step("remediate", **options)


@step_command("cancel", "Hủy cuộc kiểm tra tại một đơn vị (trước khi kiểm tra trực tiếp).",
              'kiemtra cancel KTD-TKT-2026 kt --reason "Đơn vị sáp nhập"')
@option("--reason", required=True, help="Why the inspection is cancelled.",
        help_vi="Lý do hủy.")
@override_option
def cancel(**options: Any) -> None:
    """Cancel a unit's inspection (before the visit)."""
    run_step("cancel", **options)


# --- views --------------------------------------------------------------------------------


@cli.command("correct", help_vi="""Sửa một bước đã ghi nhận (ngày, nội dung tồn tại, hạn
             khắc phục, số liệu, vắng mặt).

             Nhật ký giữ cả hai: bước như đã ghi lần đầu và việc sửa (ai sửa, khi nào, vì
             sao); các thời hạn phụ thuộc vào nội dung được sửa được tính lại.""",
             example='kiemtra correct KTD-TKT-2026 hcc --step conclude --finding 1 '
                     '--text "Tỷ lệ hồ sơ trực tuyến còn thấp" --reason "Sai chính tả"')
@argument("campaign")
@argument("unit")
@option("--step", required=True, type=click.Choice(
    ["notify", "reschedule", "report", "inspect", "minutes", "conclude", "remediate"]),
    help="The step to correct (its latest record).",
    help_vi="Bước cần sửa (lần ghi nhận sau cùng của bước đó).")
@option("--reason", required=True, help="Why it is corrected (kept in the trail).",
        help_vi="Lý do sửa (lưu trong nhật ký).")
@option("--date", "day", type=DATE, help="The step's correct effective date.",
        help_vi="Ngày thực hiện đúng của bước.")
@option("--finding", type=click.IntRange(min=1, max=MAX_FINDINGS), help="The finding to correct.",
        help_vi="Số thứ tự tồn tại cần sửa.")
@option("--text", help="The finding's correct text (with --finding).",
        help_vi="Nội dung đúng của tồn tại (dùng cùng --finding).")
@option("--remediate-by", type=DATE,
        help="The finding's (or every finding's) correct remediation deadline.",
        help_vi="Hạn khắc phục đúng của tồn tại (hoặc của mọi tồn tại).")
@option("--metrics", "metrics_file", type=click.Path(dir_okay=False),
        help="The report's correct figures (a TOML file).",
        help_vi="Số liệu đúng của báo cáo (tệp TOML).")
@option("--absent", multiple=True, metavar="MEMBER",
        help="The members truly absent from the visit (repeat; the leader corrects).",
        help_vi="Các thành viên thực sự vắng mặt (có thể lặp lại; do Tổ trưởng sửa).")
@option("--no-absent", is_flag=True, help="Nobody was absent from the visit.",
        help_vi="Không ai vắng mặt trong buổi kiểm tra.")
@json_option
def correct(campaign: str, unit: str, step: str, reason: str, day: date | None,
            finding: int | None, text: str | None, remediate_by: date | None,
            metrics_file: str | None, absent: tuple[str, ...], no_absent: bool) -> None:
    """Correct a recorded step (date, finding text, remediation deadline, figures,
    absences).

    The log keeps both: the step as first recorded and the correction, who, when
    and why; the deadlines that depend on the corrected fact are derived again.
    """
    from kiemtra.domain.corrections import Change

    if no_absent and absent:
        clash = say("--no-absent và --absent không dùng cùng nhau.",
                    "--no-absent and --absent exclude each other.")
        raise click.UsageError(clash)
    change = Change(day=day, finding=finding, text=text, remediate_by=remediate_by,
                    absent=() if no_absent else (tuple(absent) or None))
    row = settings().workflow(campaign).correct(
        campaign, unit, step=step, reason=reason, day=today(), change=change,
        metrics_file=metrics_file)
    emit(row, lambda r: click.echo(corrected_text(r)))


def corrected_text(r: Row) -> str:
    from kiemtra.domain.vocabulary import step_label
    from kiemtra.projections.audit.describe import change_text

    lang = settings().lang
    what = "; ".join(change_text(c, lang) for c in r["changes"])
    return say(f"Đã sửa bước “{step_label(r['corrected_step'], lang)}” của đơn vị "
               f"{r['unit']}: {what}.", f"Corrected the step "
               f"'{step_label(r['corrected_step'], lang)}' of unit {r['unit']}: {what}.")


@cli.command("undo", help_vi="""Thu hồi bước ghi nhận sau cùng của một đơn vị (ghi nhầm
             đơn vị, ghi quá sớm).

             Bước đó vẫn còn trong nhật ký, được đánh dấu là đã thu hồi; cuộc kiểm tra trở
             lại trạng thái trước bước đó.""",
             example='kiemtra undo KTD-TKT-2026 kt --reason "Ghi nhầm đơn vị"')
@argument("campaign")
@argument("unit")
@option("--reason", required=True, help="Why the step is taken back (kept in the trail).",
        help_vi="Lý do thu hồi (lưu trong nhật ký).")
@option("--date", "day", type=DATE, default=None,
        help="Effective date of the retraction (default: today in Vietnam).",
        help_vi="Ngày thực hiện việc thu hồi (mặc định: hôm nay, giờ Việt Nam).")
@option("--void-document", "void_documents", is_flag=True,
        help="Also record the documents issued from that step as void.",
        help_vi="Ghi nhận luôn các văn bản đã ban hành từ bước đó là hết hiệu lực.")
@json_option
def undo(campaign: str, unit: str, reason: str, day: date | None,
         void_documents: bool) -> None:
    """Take back a unit's latest recorded step (the wrong unit, recorded too early).

    The step stays in the trail, marked as retracted; the inspection returns to
    the state before it.
    """
    from kiemtra.domain.vocabulary import state_label, step_label

    row = settings().workflow(campaign).undo(campaign, unit, reason=reason, day=day or today(),
                                             void_documents=void_documents)
    lang = settings().lang
    voided = ", ".join(row["voided"])
    emit(row, lambda r: click.echo(say(
        f"Đã thu hồi bước “{step_label(r['retracted_step'], lang)}” của đơn vị {r['unit']}; "
        f"cuộc kiểm tra trở lại trạng thái “{state_label(r['state'], lang)}”."
        + (f" Văn bản hết hiệu lực: {voided}." if voided else ""),
        f"Retracted the step '{step_label(r['retracted_step'], lang)}' of unit {r['unit']}; "
        f"the inspection is back to '{state_label(r['state'], lang)}'."
        + (f" Documents void: {voided}." if voided else ""))))


@cli.command(help_vi="Danh sách kế hoạch và tiến độ.",
             example="kiemtra campaigns --as-of 15/10/2026")
@option("--as-of", type=DATE, help="Count overdue items as of this date (default: today).",
        help_vi="Tính quá hạn đến ngày này (mặc định: hôm nay).")
@json_option
def campaigns(as_of: date | None) -> None:
    """The campaigns and how far each has come."""
    views = settings().views()
    emit(views.campaigns(as_of or today()) if views else [], print_campaigns)


CAMPAIGN_COLUMNS = (
    Col("code", lambda r: r["code"], no_wrap=True), Col("title", lambda r: r["title"]),
    Col("period", lambda r: f"{fmt(r['period_start'])} – {fmt(r['period_end'])}"),
    Col("concluded", lambda r: f"{r['concluded']}/{r['units'] - r['cancelled']}",
        no_wrap=True),
    Col("findings_open", lambda r: str(r["findings_open"]), no_wrap=True, drop=2),
    Col("overdue", lambda r: str(r["overdue"]), no_wrap=True),
    Col("late_steps", lambda r: str(r["late_steps"]), no_wrap=True, drop=3),
    Col("closed", lambda r: say("Có", "yes") if r["closed"] else say("Chưa", "no"), drop=1),
)


def database_shown() -> str:
    """The database a read used, as a person finds it again: the SQLite file's full path,
    or the server and database (no password)."""
    database = settings().database
    return database.label() if database.is_postgres else str(database.sqlite_path.resolve())


def print_campaigns(rows: list[Row]) -> None:
    if not rows:
        where = database_shown()
        click.echo(say(f"Chưa có kế hoạch nào trong cơ sở dữ liệu {where}. Nhập bằng: kiemtra "
                       "plan import TỆP.toml (hoặc chọn cơ sở dữ liệu khác bằng --db).",
                       f"No campaigns in the database {where} yet. Import one: kiemtra plan "
                       "import FILE.toml (or choose another database with --db)."))
        return
    show_table(say("Các kế hoạch tự kiểm tra", "Campaigns"), CAMPAIGN_COLUMNS, rows)


@cli.command(help_vi="""Tình trạng từng cuộc kiểm tra: bước tiếp theo, hạn, quá hạn.

             Với --at, chỉ tính các sự kiện đã ghi đến thời điểm đó: đúng như hệ thống
             cho biết vào ngày ấy.""", example="kiemtra status KTD-TKT-2026 --as-of 01/09/2026\n"
                                               "kiemtra status --format xlsx -o tinh-trang.xlsx")
@argument("campaign", required=False)
@as_of_option
@option("--at", "at", type=TimestampParam(),
        help="Show the state as recorded at this moment (DATE or 'DATE HH:MM').",
        help_vi="Tình trạng như đã ghi nhận đến thời điểm này (NGÀY hoặc “NGÀY GIỜ:PHÚT”).")
@output_options("table", "json", "xlsx")
@json_option
def status(campaign: str | None, as_of: date | None, at: datetime | None, form: str,
           output: str | None, force: bool) -> None:
    """Where each inspection stands: next step, deadline, overdue.

    With --at, only the events recorded until that moment count: what the system
    said on that day.
    """
    out = Output.checked(form, output, force)
    views = settings().views(campaign)
    if views is None:
        rows: list[Row] = []
    elif at is not None:
        rows = views.status_at(at, as_of or at.date(), campaign)
    else:
        rows = views.status(as_of or today(), campaign)
    out.emit(rows, print_status, status_sheets)
    warn_unreadable(views.unreadable() if views is not None else [])


def warn_unreadable(skipped: list[int]) -> None:
    """One line on stderr, whatever the format, when the views were folded without some
    stored event that no longer decodes (`skipped`: their positions): what is shown
    leaves those steps out."""
    if not skipped:
        return
    listed = ", ".join(str(p) for p in skipped[:5]) + (", …" if len(skipped) > 5 else "")
    click.echo(say(
        f"⚠ Đã bỏ qua {len(skipped)} sự kiện không đọc được (vị trí {listed}): dữ liệu đã "
        "bị sửa hoặc hỏng. Chạy “kiemtra audit verify” để kiểm tra.",
        f"⚠ Left out {len(skipped)} stored event{'s' if len(skipped) > 1 else ''} that can "
        f"no longer be read (position {listed}): the data was altered or damaged. Run "
        "'kiemtra audit verify'."), err=True)


def report_cell(r: Row) -> str:
    if r["report_submitted_on"]:
        return fmt(r["report_submitted_on"]) + (say(" (muộn)", " (late)")
                                                if r["report_late"] else "")
    return say("miễn", "waived") if r["report_waived"] else "-"


def status_notes(r: Row) -> str:
    from kiemtra.domain.deadlines import days_left

    notes = []
    if r["overdue"]:
        late = -days_left(date.fromisoformat(r["next_deadline"]), date.fromisoformat(r["as_of"]))
        notes.append(say(f"[bold red]QUÁ HẠN {late} ngày[/]", f"[bold red]OVERDUE {late} days[/]"))
    if r["surprise"]:
        notes.append(say("đột xuất", "surprise"))
    if r.get("reminders_failed"):
        notes.append(say("[red]thư nhắc lỗi[/]", "[red]reminder failed[/]"))
    return "\n".join(notes)  # one note a line, each whole (the column never wraps)


def findings_cell(r: Row) -> str:
    """Open of all findings; "—" before a conclusion (there is nothing to count yet)."""
    if not r["concluded_on"]:
        return "—"
    return f"{r['findings_open']}/{r['findings_total']}"


def status_columns() -> tuple[Col, ...]:
    from kiemtra.domain.formats import as_date
    from kiemtra.domain.vocabulary import state_label, step_label

    lang = settings().lang
    return (
        Col("code", lambda r: r["unit"], no_wrap=True),
        Col("unit", lambda r: r["unit_name"], min_width=14, value=lambda r: r["unit_name"]),
        Col("state", lambda r: state_label(r["state"], lang), drop=2),
        Col("on_site", lambda r: fmt(r["on_site"] or r["planned_on_site"]), no_wrap=True,
            value=lambda r: as_date(r["on_site"] or r["planned_on_site"])),
        Col("report_due", lambda r: fmt(r["report_due"]), no_wrap=True, drop=3,
            value=day_value("report_due")),
        Col("report", report_cell, drop=4),
        Col("findings_open", findings_cell, no_wrap=True, drop=5),
        Col("next_step", lambda r: step_label(r["next_step"], lang) if r["next_step"] else "-"),
        Col("due", lambda r: fmt(r["next_deadline"]), no_wrap=True,
            value=day_value("next_deadline")),
        Col("note", status_notes, no_wrap=True, markup=True),
    )


def status_sheets(rows: list[Row]) -> list[Sheet]:
    """One sheet, every campaign's inspections (the table shows one per campaign)."""
    title = say("Tình trạng", "Status") + (
        say(f" đến {fmt(rows[0]['as_of'])}", f" as of {fmt(rows[0]['as_of'])}") if rows else "")
    return [sheet_of(title, (Col("campaign", lambda r: r["campaign"]), *status_columns()),
                     rows)]


def print_status(rows: list[Row]) -> None:
    if not rows:
        where = database_shown()
        click.echo(say(f"Chưa có cuộc kiểm tra nào trong cơ sở dữ liệu {where}.",
                       f"No inspections in the database {where} yet."))
        return
    for code in dict.fromkeys(r["campaign"] for r in rows):
        show_table(say(f"Kế hoạch {code}", f"Campaign {code}"), status_columns(),
                   [r for r in rows if r["campaign"] == code])
    console().print(say(f"Tính đến ngày {fmt(rows[0]['as_of'])}.",
                        f"As of {fmt(rows[0]['as_of'])}."))
    warn_estimated(rows)


def warn_estimated(rows: list[Row]) -> None:
    """One line under a table when some deadline in it was counted over a year whose days
    off are the calendar's estimate (`calendar_estimated`)."""
    years = sorted({y for r in rows for y in r.get("estimated_years") or ()})
    if not years:
        return
    listed = ", ".join(str(y) for y in years)
    console().print(say(
        f"⚠ Một số hạn tính theo lịch nghỉ năm {listed} chưa được công bố (ước tính); "
        f"xem: kiemtra calendar {years[0]}",
        f"⚠ Some deadlines are counted on the {listed} holidays, not announced yet "
        f"(estimated); see: kiemtra calendar {years[0]}"), markup=False)


@cli.command(help_vi="Các thời hạn sắp đến và đã quá hạn, sắp theo ngày.",
             example="kiemtra due --within 7\nkiemtra due --all --format xlsx -o thoi-han.xlsx")
@as_of_option
@option("--within", type=click.IntRange(min=0, max=36600), default=14, show_default=True,
        help="Deadlines up to this many days ahead (overdue ones always show).",
        help_vi="Các thời hạn đến trong số ngày này, kể từ hôm nay (hạn đã quá luôn được "
                "liệt kê).")
@option("--all", "show_all", is_flag=True, help="Every open deadline, however far.",
        help_vi="Mọi thời hạn chưa thực hiện, dù xa đến đâu.")
@output_options("table", "json", "xlsx")
@json_option
def due(as_of: date | None, within: int, show_all: bool, form: str, output: str | None,
        force: bool) -> None:
    """Deadlines coming up and overdue, by date."""
    out = Output.checked(form, output, force)
    views = settings().views()
    rows = views.due(as_of or today(), None if show_all else within) if views else []
    out.emit(rows, print_due, lambda rows: [sheet_of(
        say("Thời hạn", "Deadlines") + (say(f" đến {fmt(rows[0]['as_of'])}",
                                            f" as of {fmt(rows[0]['as_of'])}") if rows else ""),
        DUE_COLUMNS, rows)])
    warn_unreadable(views.unreadable() if views else [])


def due_left(r: Row) -> str:
    left = r["days_left"]
    if left < 0:
        return say(f"[bold red]quá {-left} ngày[/]", f"[bold red]{-left} days late[/]")
    if left == 0:
        return say("[yellow]hôm nay[/]", "[yellow]today[/]")
    return say(f"{left} ngày", f"{left} day" if left == 1 else f"{left} days")


def due_what(r: Row) -> str:
    from kiemtra.domain.vocabulary import DEADLINE_KINDS

    what = settings().word(DEADLINE_KINDS[r["kind"]])
    if r["finding"]:
        what += say(f" — tồn tại số {r['finding']}", f" — finding {r['finding']}")
    if r["reminder_failed"]:
        what += say(" [red](thư nhắc lỗi)[/]", " [red](reminder failed)[/]")
    return what


DAYS_LEFT_FORMAT = ('0 "ngày";"quá "0 "ngày";"hôm nay"', '0 "days";0 "days late";"today"')
"""A number of days left as the table words it (5 ngày, quá 3 ngày, hôm nay), still a
number in the cell (-3 when three days late), so a spreadsheet sorts and filters it."""

DUE_COLUMNS = (
    Col("due", lambda r: fmt(r["due"]), no_wrap=True, value=day_value("due")),
    Col("weekday", lambda r: r["weekday"] if settings().vi()
        else date.fromisoformat(r["due"]).strftime("%a"), no_wrap=True, drop=3),
    Col("left", due_left, no_wrap=True, markup=True, value=lambda r: r["days_left"],
        number_format=DAYS_LEFT_FORMAT),
    Col("campaign", lambda r: r["campaign"], no_wrap=True, drop=2),
    Col("unit", lambda r: f"{r['unit']} — {r['unit_name']}",
        value=lambda r: f"{r['unit']} — {r['unit_name']}"),
    Col("what", due_what, markup=True),
    Col("responsible", lambda r: r["responsible_name"], drop=1,
        value=lambda r: r["responsible_name"]),
)


def print_due(rows: list[Row]) -> None:
    if not rows:
        click.echo(say("Không có thời hạn nào trong khoảng này.", "Nothing due in this window."))
        return
    show_table(say(f"Thời hạn tính đến ngày {fmt(rows[0]['as_of'])}",
                   f"Deadlines as of {fmt(rows[0]['as_of'])}"), DUE_COLUMNS, rows)
    warn_estimated(rows)


@cli.command(help_vi="Tổng hợp kết quả kiểm tra của kế hoạch (số liệu cho Báo cáo kết quả "
             "kiểm tra).", example="kiemtra summary KTD-TKT-2026 --json\n"
                                   "kiemtra summary KTD-TKT-2026 --format xlsx -o tong-hop.xlsx")
@argument("campaign")
@as_of_option
@output_options("table", "json", "xlsx")
@json_option
def summary(campaign: str, as_of: date | None, form: str, output: str | None,
            force: bool) -> None:
    """The campaign's results (the figures of the results report)."""
    out = Output.checked(form, output, force)
    views = settings().views(campaign)
    assert views is not None
    out.emit(views.summary(campaign, as_of or today()), print_summary, summary_sheets)


def percent(rates: dict[str, Any] | None, key: str) -> str:
    value = (rates or {}).get(key)
    return "-" if value is None else number(value, 1)


def summary_columns() -> tuple[Col, ...]:
    from kiemtra.domain.vocabulary import REPORT_STATUS, state_label

    s = settings()
    return (
        Col("unit", lambda u: f"{u['unit']} — {u['unit_name']}"),
        Col("state", lambda u: state_label(u["state"], s.lang), drop=1),
        Col("report", lambda u: s.word(REPORT_STATUS[u["report"]]), drop=2),
        Col("findings", lambda u: str(u["findings_total"]), no_wrap=True,
            value=lambda u: u["findings_total"]),
        Col("remediated", lambda u: str(u["findings_remediated"]), no_wrap=True,
            value=lambda u: u["findings_remediated"]),
        Col("open", lambda u: str(u["findings_open"]), no_wrap=True,
            value=lambda u: u["findings_open"]),
        Col("late_fixes", lambda u: str(u["remediations_late"]), no_wrap=True, drop=3,
            value=lambda u: u["remediations_late"]),
        Col("on_time_pct", lambda u: percent(u["rates"], "on_time_rate"), no_wrap=True,
            drop=4, value=lambda u: (u["rates"] or {}).get("on_time_rate"),
            number_format=PERCENT_FORMAT),
        Col("online_pct", lambda u: percent(u["rates"], "online_rate"), no_wrap=True,
            drop=4, value=lambda u: (u["rates"] or {}).get("online_rate"),
            number_format=PERCENT_FORMAT),
    )


PERCENT_FORMAT = ("0.0", "0.0")  # a rate in percent (96.5), one decimal as the table shows


def summary_sheets(data: Row) -> list[Sheet]:
    """The results per unit; the totals, report figures and rates; the findings."""
    from kiemtra.domain.vocabulary import TOTALS

    s = settings()
    totals = [{"label": s.word(label), "value": str(data["totals"][key]),
               "amount": data["totals"][key], "percent": False}
              for key, label in TOTALS.items()]
    findings = [{**f, "unit": u["unit"], "unit_name": u["unit_name"]}
                for u in data["units"] for f in u["findings"]]
    return [
        sheet_of(say("Kết quả từng đơn vị", "Results per unit"), summary_columns(),
                 data["units"]),
        sheet_of(say("Tổng hợp, số liệu", "Totals and figures"), FIGURE_COLUMNS,
                 totals + figure_rows(data["totals"])),
        sheet_of(say("Tồn tại, hạn chế", "Findings"), FINDING_COLUMNS, findings),
    ]


FIGURE_COLUMNS = (
    Col("metric", lambda r: r["label"],
        value=lambda r: r["label"] + (" (%)" if r["percent"] else "")),
    Col("value", lambda r: r["value"], justify="right", no_wrap=True,
        value=lambda r: r["amount"]),
)
FINDING_COLUMNS = (
    Col("unit", lambda f: f"{f['unit']} — {f['unit_name']}",
        value=lambda f: f"{f['unit']} — {f['unit_name']}"),
    Col("finding_no", lambda f: str(f["number"]), value=lambda f: f["number"]),
    Col("finding", lambda f: f["text"], value=lambda f: f["text"]),
    Col("remediate_by", lambda f: fmt(f["remediate_by"]), value=day_value("remediate_by")),
    Col("remediated_on", lambda f: fmt(f["remediated_on"]), value=day_value("remediated_on")),
)


def print_summary(data: Row) -> None:
    from kiemtra.projections.views import totals_text

    out = console()
    out.print(f"{data['title']} ({data['campaign']}) — {data['authority']}", style="bold",
              markup=False)
    show_table(say("Kết quả kiểm tra từng đơn vị", "Results per unit"), summary_columns(),
               data["units"])
    t = data["totals"]
    out.print(totals_text(t, settings().lang))
    if t["figures"]:
        show_table(say("Số liệu báo cáo (cộng các đơn vị)", "Report figures (all units)"),
                   FIGURE_COLUMNS, figure_rows(t))


def figure_rows(totals: Row) -> list[Row]:
    from kiemtra.domain.metrics import metric_label
    from kiemtra.domain.vocabulary import RATES

    s = settings()
    rows = [{"label": metric_label(metric, s.lang), "value": number(value),
             "amount": value, "percent": False}
            for section in totals["figures"].values() for metric, value in section.items()]
    rows += [{"label": s.word(RATES[key]), "value": percent(totals["rates"], key) + " %",
              "amount": value, "percent": True}
             for key, value in (totals["rates"] or {}).items() if value is not None]
    return rows


# --- the calendar -------------------------------------------------------------------------


@cli.command("calendar", help_vi="""Lịch nghỉ lễ, Tết và ngày làm bù của một năm, kèm căn
             cứ.

             Liệt kê các ngày nghỉ trong năm (kể cả ngày lễ trùng thứ Bảy, Chủ nhật; không
             kể thứ Bảy, Chủ nhật nghỉ hằng tuần) và các ngày thứ Bảy làm bù, kèm căn cứ: Bộ
             luật Lao động, thông báo của Chính phủ có sẵn trong kiemtra, ước tính (năm chưa
             công bố), hoặc kế hoạch MÃ_KẾ_HOẠCH nếu có.""",
             example="kiemtra calendar 2027 KTD-TKT-2026")
@argument("year", type=YearParam())
@argument("campaign", required=False)
@json_option
def calendar_command(year: int, campaign: str | None) -> None:
    """The year's days off, holidays and make-up working days, with their source.

    Lists the year's days off (holidays falling on a weekend included, ordinary
    weekends not) and worked Saturdays, each with its source: the Labour Code, a
    Government notice shipped with kiemtra, an estimate (a year not announced yet),
    or the plan of CAMPAIGN when one is given.
    """
    from kiemtra.projections.plan_view import calendar_view

    s = settings()
    database = s.database if campaign is not None else None
    emit(calendar_view(year, database, campaign), print_calendar)


SOURCES: dict[str, tuple[str, str]] = {
    "law": ("Bộ luật Lao động", "Labour Code"),
    "announced": ("Thông báo nghỉ lễ, Tết (có sẵn trong kiemtra)",
                  "Holiday notice (shipped with kiemtra)"),
    "estimate": ("Ước tính (chưa công bố)", "Estimate (not announced)"),
}


def source_cell(r: Row, data: Row) -> str:
    if r["source"] == "plan":
        return say(f"Kế hoạch {data['campaign']}", f"Plan {data['campaign']}")
    if r["source"] == "estimate" and data["last_announced"] and \
            data["year"] < data["last_announced"]:
        return say("Ước tính (chưa đối chiếu)", "Estimate (not checked)")
    return settings().word(SOURCES[r["source"]])


def print_calendar(data: Row) -> None:
    year, s = data["year"], settings()
    title = say(f"Ngày nghỉ lễ, Tết và ngày làm bù năm {year}",
                f"Holidays and make-up working days, {year}")
    if data["campaign"]:
        title += say(f" — theo Kế hoạch {data['campaign']}", f" — with plan {data['campaign']}")
    show_table(title, (
        Col("date", lambda r: fmt(r["date"]), no_wrap=True),
        Col("weekday", lambda r: r["weekday"] if s.vi()
            else date.fromisoformat(r["date"]).strftime("%a"), no_wrap=True, drop=2),
        Col("day_type", lambda r: say("Làm việc", "Working") if r["working"]
            else say("Nghỉ", "Day off"), no_wrap=True, drop=1),
        Col("holiday", lambda r: r["name"] if s.vi() else r["name_en"], min_width=20),
        Col("source", lambda r: source_cell(r, data), min_width=16),
    ), data["days"])
    out = console()
    out.print(say("Không kể thứ Bảy, Chủ nhật nghỉ hằng tuần.",
                  "Ordinary Saturdays and Sundays off are not listed."), markup=False)
    if data["announced"]:
        out.print(say(f"Lịch nghỉ năm {year} theo {data['announcement']}.",
                      f"The {year} holidays follow: {data['announcement_en']}."),
                  markup=False)
    elif data["last_announced"] and year < data["last_announced"]:
        out.print(say(
            f"⚠ Lịch nghỉ năm {year} chưa được đối chiếu với thông báo của Chính phủ: các "
            f"ngày âm lịch, ngày liền kề Quốc khánh và ngày hoán đổi là ước tính; các hạn "
            f"tính qua năm {year} được đánh dấu là ước tính.",
            f"⚠ The {year} holidays have not been checked against the Government's "
            f"notice: lunar holidays, the day next to National Day and swaps are estimates; "
            f"deadlines counted over {year} are marked as estimated."), markup=False)
    else:
        out.print(say(
            f"⚠ Lịch nghỉ năm {year} chưa được công bố: các ngày ghi “Ước tính” tính theo âm "
            f"lịch và Bộ luật Lao động, có thể khác lịch Chính phủ công bố; các hạn tính qua "
            f"năm {year} được đánh dấu là ước tính.",
            f"⚠ The {year} holidays are not announced yet: days marked 'Estimate' follow the "
            f"lunar calendar and the Labour Code and may differ from the Government's "
            f"notice; deadlines counted over {year} are marked as estimated."), markup=False)


# --- reminders ----------------------------------------------------------------------------


@cli.command(help_vi="""Gửi các thư nhắc hạn đến hạn hôm nay, mỗi thư một lần.

             Khi chưa đặt KIEMTRA_SMTP_URL, thư được ghi thành tệp .eml trong thư mục thư đi
             kiemtra-outbox, cạnh cơ sở dữ liệu.""", example="kiemtra remind --dry-run")
@option("--as-of", type=DATE, help="Send what is due as of this date (default: today).",
        help_vi="Gửi những thư đến hạn tính đến ngày này (mặc định: hôm nay).")
@option("--dry-run", is_flag=True, help="Show what would go out; send and record nothing.",
        help_vi="Chạy thử: cho xem thư nào sẽ gửi; không gửi, không ghi nhận gì.")
@option("--failed", is_flag=True, help="List reminders that failed, wait to be retried, have "
        "an unknown outcome or were refused for some recipient.",
        help_vi="Liệt kê các thư nhắc gửi lỗi, đang chờ gửi lại, không rõ kết quả hoặc bị từ "
        "chối với một số người nhận.")
@json_option
def remind(as_of: date | None, dry_run: bool, failed: bool) -> None:
    """Send the reminders due today, each once.

    Without KIEMTRA_SMTP_URL the messages are written as .eml files into the
    kiemtra-outbox folder beside the database.
    """
    from kiemtra.notifications.reminders import claimant, remind_once, undelivered

    s = settings()
    if failed:
        emit(undelivered(s.database), print_undelivered)
        return
    # a person asking: what waits after a temporary failure is tried now (the back-off
    # is the scheduler's)
    report = remind_once(s.database, as_of=as_of or today(), dry_run=dry_run,
                         claimant=claimant(s.actor), at_once=True)
    emit(report, print_tick)


def print_tick(report: Row) -> None:
    from kiemtra.notifications.reminders import report_lines

    click.echo("\n".join(report_lines(report, settings().lang)))
    if report["failed"] or any(item.get("refused") for item in report["sent"]):
        click.echo(say("Có thư nhắc không gửi được; xem: kiemtra remind --failed",
                       "Some reminders failed; see: kiemtra remind --failed"), err=True)
    if report.get("unknown"):
        click.echo(say("Có thư nhắc không rõ kết quả (có thể đã đến); xem: kiemtra remind "
                       "--failed", "Some reminders have an unknown outcome (they may have "
                       "arrived); see: kiemtra remind --failed"), err=True)


def print_undelivered(rows: list[Row]) -> None:
    from kiemtra.notifications.reminders import undelivered_lines

    click.echo("\n".join(undelivered_lines(rows, settings().lang)))


@cli.command(help_vi="Chạy bộ lập lịch gửi thư nhắc cho đến khi dừng (Ctrl-C hoặc SIGTERM).",
             example="kiemtra scheduler --at 07:30")
@option("--at", "at", default="07:30", show_default=True, metavar="HH:MM",
        help="Time of the daily reminder run, on working days (Vietnam time).",
        help_vi="Giờ gửi thư nhắc hằng ngày, vào ngày làm việc (giờ Việt Nam).")
@option("--retry-every", type=click.IntRange(min=5, max=1440), default=60, show_default=True,
        metavar="MINUTES", help="How often temporary failures are retried.",
        help_vi="Số phút giữa hai lần gửi lại thư bị lỗi tạm thời.")
@option("--run-now", is_flag=True, help="Also run one tick right away.",
        help_vi="Chạy ngay một lượt gửi khi khởi động.")
def scheduler(at: str, retry_every: int, run_now: bool) -> None:
    """Run the reminder scheduler until stopped (Ctrl-C or SIGTERM)."""
    from kiemtra.notifications.scheduler import run

    found = settings()
    run(found.database, at=at, retry_minutes=retry_every, run_now=run_now,
        say=lambda line: print(line, flush=True), lang="vi" if found.vi() else "en")


@cli.group("db", help_vi="Cơ sở dữ liệu của kiemtra: tạo và nâng cấp.",
           example="kiemtra db init")
def database_group() -> None:
    """kiemtra's database: create and upgrade."""


@database_group.command("init", help_vi="""Tạo hoặc nâng cấp cơ sở dữ liệu.

                        Tạo những bảng của kiemtra còn thiếu (trên PostgreSQL cả hàm ghi
                        kiemtra_append_v2), hoặc nâng cấp cơ sở dữ liệu do phiên bản trước
                        tạo; không ghi sự kiện nào. Trên PostgreSQL, người sở hữu cơ sở dữ
                        liệu chạy lệnh này một lần; các lệnh khác chỉ cần quyền đọc, ghi
                        trên các bảng.""",
                        example="kiemtra --db postgresql://kiemtra@may-chu/kiemtra db init")
@json_option
def db_init() -> None:
    """Create or upgrade the database.

    Creates what is missing of kiemtra's tables (on PostgreSQL also its write function
    kiemtra_append_v2), or upgrades a database an earlier release made; records no event.
    On PostgreSQL, the database's owner runs it once; other commands need only reads and
    writes on the tables."""
    from kiemtra.workflow import init_database

    database = settings().database
    init_database(database)
    emit({"database": database.label(), "ready": True}, lambda r: click.echo(say(
        f"Cơ sở dữ liệu {r['database']} đã sẵn sàng cho phiên bản kiemtra này.",
        f"The database {r['database']} is ready for this release of kiemtra.")))


@cli.group(help_vi="Các bảng tổng hợp dựng từ nhật ký sự kiện.")
def projections() -> None:
    """The views (read models) built from the event log."""


@projections.command("rebuild", help_vi="Xóa và dựng lại mọi bảng tổng hợp từ nhật ký sự "
                     "kiện.", example="kiemtra projections rebuild")
@json_option
def projections_rebuild() -> None:
    """Drop and rebuild every view from the event log."""
    from kiemtra.projections.views import Views

    views = Views.for_rebuilding(settings().database)
    applied = views.rebuild() if views else 0
    skipped = views.unreadable() if views else []
    emit({"events": applied, "unreadable": skipped}, lambda r: click.echo(say(
        f"Đã dựng lại các bảng tổng hợp từ {r['events']} sự kiện.",
        f"Rebuilt the views from {r['events']} events.")))
    warn_unreadable(skipped)


# --- backups ----------------------------------------------------------------------------


@cli.command(help_vi="Sao lưu cơ sở dữ liệu SQLite vào một tệp, kiểm tra bản sao trước khi "
             "báo xong (các lệnh khác vẫn ghi được trong lúc sao lưu).",
             example="kiemtra backup -o sao-luu/kiemtra-2026-11-30.db")
@option("-o", "--output", required=True, type=click.Path(dir_okay=False),
        help="The file to write the copy to (it opens directly with --db).",
        help_vi="Tệp sẽ ghi bản sao (mở trực tiếp được bằng --db).")
@force_option
@json_option
def backup(output: str, force: bool) -> None:
    """Back up the SQLite database to a file, checking the copy before reporting success
    (other commands may keep writing meanwhile)."""
    from kiemtra.projections.backup import back_up

    done = back_up(settings().database, output, force=force)
    emit(done.to_json(), lambda _: click.echo(done.text(settings().database.label(),
                                                        settings().lang)))
    if done.views_rebuilt:
        click.echo(say("Lưu ý: các bảng tổng hợp trong bản sao khác với bản dựng lại từ nhật "
                       "ký, nên đã được dựng lại trong bản sao; hãy chạy “kiemtra projections "
                       "rebuild” trên cơ sở dữ liệu gốc.",
                       "Note: the views in the copy differed from the views rebuilt from its "
                       "log, so they were rebuilt in the copy; run 'kiemtra projections "
                       "rebuild' on the original database."), err=True)


# --- history and the audit trail ----------------------------------------------------------


@cli.command(help_vi="Dòng thời gian các bước đã ghi nhận (ai, làm gì, khi nào).",
             example="kiemtra history KTD-TKT-2026 vhxh")
@argument("campaign")
@argument("unit", required=False)
@json_option
def history(campaign: str, unit: str | None) -> None:
    """The timeline of recorded steps (who did what, when)."""
    from kiemtra.projections.audit.trail import history as timeline

    emit(timeline(settings().database, campaign, unit), print_history)


def describe_cell(r: Row) -> str:
    from kiemtra.projections.audit.describe import describe

    if r["recorded_at"] is None:
        return say("Không đọc được sự kiện — chạy “kiemtra audit verify”",
                   "Unreadable event — run 'kiemtra audit verify'")
    return describe(r, settings().lang)


def step_cell(r: Row) -> str:
    from kiemtra.domain.vocabulary import step_label

    return step_label(r["step"], settings().lang) if r["recorded_at"] else "-"


def actor_cell(r: Row) -> str:
    """'Nguyễn Văn A (truong-to)': people by name, as the plan gives it, and their id."""
    if r["recorded_at"] is None:
        return "-"
    return f"{r['actor_name']} ({r['actor']})" if r["actor_name"] else r["actor"]


def history_columns() -> tuple[Col, ...]:
    return (
        Col("seq", lambda r: str(r["seq"]), no_wrap=True, drop=2),  # "đã sửa (#12)"
        Col("effective", lambda r: fmt(r["effective_date"]), no_wrap=True),
        Col("recorded", lambda r: moment(r["recorded_at"]) if r["recorded_at"] else "-",
            no_wrap=True, drop=3),
        Col("actor", actor_cell, drop=1),
        Col("unit", lambda r: r["unit"] or "-", no_wrap=True),
        Col("step", step_cell), Col("details", describe_cell, min_width=24),
    )


def print_history(rows: list[Row]) -> None:
    show_table(say("Lịch sử", "History"), history_columns(), rows)
    print_attachments(rows)


class AuditGroup(BilingualGroup):
    """`kiemtra audit [CAMPAIGN] [filters]` lists the trail; `audit verify|checkpoint|export`
    are subcommands. Anything that is not a subcommand goes to `audit trail`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ("-h", "--help")):
            args = ["trail", *args]
        return super().parse_args(ctx, args)


@cli.group(cls=AuditGroup, help_vi="""Nhật ký ghi nhận: ai làm gì, khi nào; kiểm tra tính
           toàn vẹn.

           \b
           kiemtra audit [MÃ_KẾ_HOẠCH] [--unit ĐV] [--actor MÃ] [--since NGÀY]
                         [--until NGÀY] [--event SỰ_KIỆN]
                         [--format table|csv|json|xlsx [-o TỆP.xlsx]]
           kiemtra audit verify [--checkpoint TỆP]... [--public-key TỆP]
                                | --bundle TỆP.zip [--public-key TỆP]
           kiemtra audit checkpoint [-o TỆP]
           kiemtra audit export MÃ_KẾ_HOẠCH -o TỆP.zip
           kiemtra audit key init | show [-o TỆP]
           """)
def audit() -> None:
    """The audit trail: who did what, when; integrity checks.

    \b
    kiemtra audit [CAMPAIGN] [--unit U] [--actor ID] [--since D] [--until D]
                  [--event E] [--format table|csv|json|xlsx [-o FILE.xlsx]]
    kiemtra audit verify [--checkpoint FILE]... [--public-key FILE]
                         | --bundle FILE.zip [--public-key FILE]
    kiemtra audit checkpoint [-o FILE]
    kiemtra audit export CAMPAIGN -o FILE.zip
    kiemtra audit key init | show [-o FILE]
    """


@audit.command("trail", help_vi="Nhật ký ghi nhận theo thứ tự ghi (ngày thực hiện, thời "
               "điểm ghi, người, vai trò).",
               example="kiemtra audit KTD-TKT-2026 --unit hcc --format csv > nhat-ky.csv\n"
                       "kiemtra audit KTD-TKT-2026 --format xlsx -o nhat-ky.xlsx")
@argument("campaign", required=False)
@option("--unit", metavar="UNIT", help="Only this unit's steps.",
        help_vi="Chỉ các bước của đơn vị này.")
@option("--actor", "who", metavar="ID", help="Only the steps this actor took.",
        help_vi="Chỉ các bước do người này thực hiện.")
@option("--since", type=DATE, help="Recorded on or after this date (Vietnam time).",
        help_vi="Ghi từ ngày này trở đi (giờ Việt Nam).")
@option("--until", type=DATE, help="Recorded on or before this date (Vietnam time).",
        help_vi="Ghi đến hết ngày này (giờ Việt Nam).")
@option("--event", metavar="EVENT", help="An event (NoticeIssued) or a step (notify).",
        help_vi="Một loại sự kiện (NoticeIssued) hoặc một bước (notify).")
@output_options("table", "csv", "json", "xlsx")
@json_option
def audit_trail(campaign: str | None, unit: str | None, who: str | None, since: date | None,
                until: date | None, event: str | None, form: str, output: str | None,
                force: bool) -> None:
    """The trail in the order recorded (effective date, time recorded, who, role)."""
    from kiemtra.projections.audit.trail import AuditFilter, read_trail

    out = Output.checked(form, output, force)
    rows = read_trail(settings().database, AuditFilter(campaign, unit, who, since, until, event))
    if form == "csv":
        from kiemtra.projections.sheets import csv_bytes

        sys.stdout.buffer.write(csv_bytes(audit_sheet(rows), settings().lang))
        sys.stdout.buffer.flush()
    else:
        out.emit([{k: v for k, v in r.items() if k != "recorded_on"} for r in rows],
                 lambda _: print_audit(rows), lambda _: [audit_sheet(rows)])


def audit_effective(r: Row) -> str:
    if r["recorded_at"] is None:
        return "-"
    return fmt(r["effective_date"]) + (say(" ⚠ ghi lùi ngày", " ⚠ back-dated")
                                       if r["back_dated"] else "")


def audit_role(r: Row) -> str:
    from kiemtra.domain.vocabulary import role_label

    if not r["actor_role"]:
        return "-"
    role = role_label(r["actor_role"], settings().lang)
    return role + (say(" (theo kế hoạch)", " (from the plan)") if not r["role_recorded"] else "")


AUDIT_COLUMNS = (
    Col("seq", lambda r: str(r["seq"]), no_wrap=True, value=lambda r: r["seq"]),
    Col("effective", audit_effective, value=day_value("effective_date")),
    Col("recorded", lambda r: moment(r["recorded_at"]) if r["recorded_at"] else "-",
        no_wrap=True, drop=2, value=lambda r: local_moment(r["recorded_at"])),
    Col("actor", actor_cell, value=actor_cell),
    Col("role", audit_role, drop=1),
    Col("campaign_unit", lambda r: "/".join(x for x in (r["campaign"], r["unit"]) if x) or "-",
        no_wrap=True, drop=3),
    Col("step", step_cell), Col("contents", describe_cell, min_width=24, value=describe_cell),
)


def audit_sheet(rows: list[Row]) -> Sheet:
    """The trail for a spreadsheet (xlsx, CSV): the table's columns, each row numbered, the
    back-dating in a column of its own, and the attachments (the table lists them below)."""
    back_dated = Col("back_dated", str, value=lambda r: None if r["recorded_at"] is None
                     else say("Có", "Yes") if r["back_dated"] else say("Không", "No"))
    files = Col("attachments", str, value=lambda r: "\n".join(
        f"{f['name']} {f['sha256']}" for f in r["attachments"]) or None)
    columns = (*AUDIT_COLUMNS[:2], back_dated, *AUDIT_COLUMNS[2:], files)
    return sheet_of(say("Nhật ký ghi nhận", "Audit trail"), columns, rows)


def print_audit(rows: list[Row]) -> None:
    # "kiểm toán" is the State Audit's word: an office calls its record a "nhật ký"
    show_table(say("Nhật ký ghi nhận", "Audit trail"), AUDIT_COLUMNS, rows, overflow="fold")
    back_dated = sum(1 for r in rows if r["back_dated"])
    console().print(say(
        f"{len(rows)} sự kiện; {back_dated} bước ghi lùi ngày (ngày thực hiện trước ngày ghi).",
        f"{len(rows)} events; {back_dated} back-dated (effective before the day recorded)."))
    print_attachments(rows)


def print_attachments(rows: list[Row]) -> None:
    """Whole SHA-256 codes under the table, one per line, for `kiemtra attachment get`."""
    files = [(r["seq"], f) for r in rows for f in r.get("attachments") or []]
    if files:
        click.echo(say("Tệp đính kèm (lấy lại bằng “kiemtra attachment get SHA256 -o TỆP”):",
                       "Attachments (get one with 'kiemtra attachment get SHA256 -o FILE'):"))
        out = console()
        for seq, f in files:  # the code whole on a line of its own: it fits 80 columns
            out.print(f"  #{seq} {f['name']} ({number(f['size'])} byte)", overflow="fold",
                      markup=False)
            out.print(f"      SHA-256 {f['sha256']}", markup=False, soft_wrap=True)


@audit.command("verify", help_vi="""Kiểm tra hồ sơ sự kiện không bị sửa, chèn, xóa hay đảo
               thứ tự.

               Mã thoát 0 kèm số sự kiện đã kiểm tra; mã thoát 1 nêu vị trí đầu tiên bị
               thay đổi.""", example="kiemtra audit verify --checkpoint diem-kiem-tra-2026-11.json")
@option("--checkpoint", "checkpoints", multiple=True, type=click.Path(dir_okay=False),
        help="A checkpoint kept outside the database (repeatable).",
        help_vi="Điểm kiểm tra lưu ngoài cơ sở dữ liệu (có thể lặp lại).")
@option("--bundle", type=click.Path(dir_okay=False),
        help="Verify an exported bundle instead of the database.",
        help_vi="Kiểm tra một hồ sơ đã xuất (tệp zip) thay cho cơ sở dữ liệu.")
@option("--public-key", type=click.Path(dir_okay=False),
        help="The commune's public key (the file 'audit key show -o' wrote), to check Ed25519 "
             "signatures; default: this machine's own key.",
        help_vi="Khóa công khai của xã (tệp do “audit key show -o” ghi) để kiểm tra chữ ký "
                "Ed25519; mặc định: khóa của chính máy này.")
@option("--no-signature", is_flag=True,
        help="With --bundle: check only the bundle's inner consistency, no signature.",
        help_vi="Dùng với --bundle: chỉ kiểm tra tính nhất quán bên trong hồ sơ, không kiểm "
                "tra chữ ký.")
@json_option
def audit_verify(checkpoints: tuple[str, ...], bundle: str | None, public_key: str | None,
                 no_signature: bool) -> None:
    """Check that no event was altered, inserted, removed or reordered.

    Exit 0 with the number of events checked; exit 1 naming the first position
    where the record was altered.
    """
    from kiemtra.projections.audit import service

    lang = settings().lang
    if bundle is not None:
        found = service.verify_bundle_file(bundle, checkpoints, unsigned=no_signature,
                                           public_key=public_key)
        emit(found.to_json(), lambda _: click.echo(found.text(lang)))
        return
    verified = service.verify_record(settings().database, checkpoints, public_key)
    emit(verified.to_json(), lambda _: click.echo(verified.text(lang)))
    note = verified.note(lang)
    if note and not settings().json:
        click.echo(note, err=True)


@audit.command("checkpoint", help_vi="Tạo điểm kiểm tra có chữ ký (vị trí, mã băm, thời "
               "điểm) để lưu ngoài máy: của cả nhật ký, hoặc (--campaign) của chuỗi riêng "
               "của xã, phường có kế hoạch đó.",
               example="kiemtra audit checkpoint --campaign KTD-TKT-2026 -o "
                       "diem-kiem-tra-2026-11.json")
@option("--campaign", "campaign", metavar="CAMPAIGN",
        help="The chain of this campaign's commune (default: the whole log's).",
        help_vi="Chuỗi riêng của xã, phường có kế hoạch này (mặc định: chuỗi của cả "
                "nhật ký).")
@option("-o", "--output", type=click.Path(dir_okay=False),
        help="Write the checkpoint to this file (default: standard output).",
        help_vi="Ghi điểm kiểm tra vào tệp này (mặc định: in ra màn hình).")
@force_option
def audit_checkpoint(campaign: str | None, output: str | None, force: bool) -> None:
    """Make a signed checkpoint (position, hash, time) to keep off this machine: of the
    whole log, or (--campaign) of the chain of that campaign's commune; with -o, its
    minisign signature is written beside it (FILE.minisig)."""
    from kiemtra.projections.audit.checkpoint import kept_note
    from kiemtra.projections.audit.service import new_key_note, take_checkpoint
    from kiemtra.workflow import now

    taken = take_checkpoint(settings().database, now(), output, force, campaign)
    if taken.signature_file is None:
        click.echo(taken.text, nl=False)
    if taken.new_key is not None:
        click.echo(new_key_note(taken.new_key, settings().lang), err=True)
    click.echo(kept_note(taken.checkpoint, settings().lang, taken.signature_file), err=True)


@audit.command("rechain", help_vi="""Nối lại chuỗi băm đã bị xóa hoặc cắt bớt, sau khi đã
               xem xét hồ sơ; việc nối lại được ghi lại (ai, khi nào, lý do) và “kiemtra
               audit verify” luôn nêu ra.""",
               example="kiemtra audit rechain --reason \"Khôi phục sau sự cố ổ đĩa, đã đối "
                       "chiếu bản in\"")
@option("--reason", required=True, help="Why the chain is made again (kept with it).",
        help_vi="Lý do nối lại chuỗi (được lưu kèm).")
def audit_rechain(reason: str) -> None:
    """Make the hash chain again where it was removed or cut short, once the record has
    been reviewed; who did it, when and why is kept, and 'kiemtra audit verify' reports
    it from then on. Links that remain are checked first: an edited event is never
    chained over."""
    from kiemtra.workflow import now, rechain

    s = settings()
    done = rechain(s.database, s.actor, reason, now())
    emit(done.to_json(), lambda _: click.echo(done.text(s.lang)))


@audit.command("export", help_vi="Xuất hồ sơ một kế hoạch (sự kiện, tệp đính kèm, chuỗi "
               "băm, điểm kiểm tra) ra tệp zip.",
               example="kiemtra audit export KTD-TKT-2026 -o ho-so-KTD-TKT-2026.zip")
@argument("campaign")
@option("-o", "--output", required=True, type=click.Path(dir_okay=False),
        help="The zip file to write.", help_vi="Tệp zip cần ghi.")
@force_option
@json_option
def audit_export(campaign: str, output: str, force: bool) -> None:
    """Export a campaign's record (events, attachments, hash chain, checkpoint) as a zip."""
    from kiemtra.projections.audit.service import export, new_key_note
    from kiemtra.workflow import now

    done = export(settings().database, campaign, output, now(), force=force)
    if done.new_key is not None:
        click.echo(new_key_note(done.new_key, settings().lang), err=True)
    emit(done.to_json(), lambda _: click.echo(done.text(settings().lang)))


@audit.group("key", help_vi="""Khóa ký Ed25519 của xã: xã ký điểm kiểm tra và gói xuất, cơ
             quan kiểm tra chỉ cần khóa công khai để kiểm tra.""",
             example="kiemtra audit key init\nkiemtra audit key show -o khoa-cong-khai.pub")
def audit_key() -> None:
    """The commune's Ed25519 key pair: the commune signs checkpoints and bundles, the
    reviewers check them with the public key alone."""


@audit_key.command("init", help_vi="Tạo khóa ký Ed25519 (nếu chưa có) trong thư mục cấu hình "
                   "của người dùng, chỉ người dùng này đọc được.", example="kiemtra audit key init")
@json_option
def audit_key_init() -> None:
    """Create the Ed25519 signing key (if there is none yet) in the user's configuration
    folder, readable by this user only."""
    from kiemtra.projections.audit.service import init_key

    made = init_key()
    emit(made.to_json(), lambda _: click.echo(made.text(settings().lang)))


@audit_key.command("show", help_vi="In khóa công khai và dấu vân tay của nó (hoặc ghi khóa ra "
                   "tệp bằng -o) để gửi cơ quan kiểm tra kèm công văn.",
                   example="kiemtra audit key show -o khoa-cong-khai.pub")
@option("-o", "--output", type=click.Path(dir_okay=False),
        help="Write the public key file here (default: standard output).",
        help_vi="Ghi tệp khóa công khai vào đây (mặc định: in ra màn hình).")
@force_option
@json_option
def audit_key_show(output: str | None, force: bool) -> None:
    """Print the public key and its fingerprint (or write the key to a file with -o), to
    send to the reviewers with an official letter."""
    from kiemtra.projections.audit.service import show_key

    shown = show_key(output, force)
    if settings().json:
        emit_json(shown.to_json())
        return
    if shown.file is None or shown.file == "-":
        click.echo(shown.public.file_text(), nl=False)
    click.echo(shown.note(settings().lang), err=True)


@cli.group(help_vi="Tệp đính kèm lưu trong cơ sở dữ liệu theo mã SHA-256.")
def attachment() -> None:
    """Attachments stored in the database by their SHA-256."""


@attachment.command("get", help_vi="Lấy một tệp đính kèm theo mã SHA-256 (xem “kiemtra audit” "
                    "hoặc “kiemtra history”).",
                    example="kiemtra attachment get 3f5a9c2e -o bien-ban.pdf")
@argument("sha256")
@option("-o", "--output", required=True, type=click.Path(dir_okay=False),
        help="Where to write the file ('-': standard output).",
        help_vi="Nơi ghi tệp (“-”: in ra đầu ra).")
@force_option
def attachment_get(sha256: str, output: str, force: bool) -> None:
    """Get an attachment by its SHA-256 (or 8 or more of its first hex digits), as
    'kiemtra audit' or 'kiemtra history' show it."""
    from kiemtra.projections.audit.service import attachment as stored

    found = stored(settings().database, sha256)
    write_output(output, found.pieces(), force)
    click.echo(say(f"Đã ghi {found.size} byte vào {output}; mã SHA-256 khớp.",
                   f"Wrote {found.size} bytes to {output}; the SHA-256 matches."), err=True)


# --- official documents ------------------------------------------------------------------


@cli.command("document", help_vi="""Lập văn bản theo Nghị định 30/2020 từ các bước đã ghi
             nhận (DOCX, có thể kèm PDF).

             \b
             LOẠI_VĂN_BẢN:
               schedule    Thông báo lịch kiểm tra (một đơn vị, hoặc mọi đơn vị
                           cùng ngày thông báo)
               minutes     Biên bản kiểm tra của một đơn vị
               conclusion  Thông báo kết luận kiểm tra của một đơn vị
               results     Báo cáo kết quả kiểm tra của cả kế hoạch""",
             example="kiemtra document conclusion KTD-TKT-2026 hcc --pdf")
@argument("kind", metavar="KIND",
          type=click.Choice(["schedule", "minutes", "conclusion", "results"]))
@argument("campaign")
@argument("unit", required=False)
@option("-o", "--output", type=click.Path(),
        help="A file name, or an existing folder to write into (default: here).",
        help_vi="Tên tệp, hoặc một thư mục có sẵn để ghi vào (mặc định: thư mục hiện tại).")
@option("--date", "day", type=DATE,
        help="The document's date (default: the date of the step it records; for results, "
             "today). For schedule without UNIT: the notice date whose units it lists "
             "(default: the latest).",
        help_vi="Ngày của văn bản (mặc định: ngày của bước mà văn bản ghi lại; với results: "
                "hôm nay). Với schedule không nêu đơn vị: ngày thông báo của các đơn vị được "
                "liệt kê (mặc định: ngày gần nhất).")
@option("--draft", is_flag=True, help="Same layout, number left blank; records nothing.",
        help_vi="Bản dự thảo: cùng thể thức, để trống số; không ghi nhận gì.")
@option("--pdf", is_flag=True, help="Also write a PDF (needs LibreOffice).",
        help_vi="Ghi thêm bản PDF (cần LibreOffice).")
@option("--text", "text_file", type=click.Path(dir_okay=False),
        help="A TOML file with the parts the team writes itself (see README).",
        help_vi="Tệp TOML chứa các phần do Tổ tự viết (xem README).")
@option("--force", is_flag=True, help="Replace a file already at the output path.",
        help_vi="Ghi đè tệp đã có tại nơi ghi.")
@json_option
def document(kind: str, campaign: str, unit: str | None, output: str | None,
             day: date | None, draft: bool, pdf: bool, text_file: str | None,
             force: bool) -> None:
    """Draw up an official document (Decree 30/2020) from the recorded steps (DOCX, and
    a PDF if asked).

    \b
    KIND:
      schedule    Schedule notice (one unit, or every unit notified that day)
      minutes     Minutes of one unit's inspection
      conclusion  Conclusion notice of one unit's inspection
      results     Results report of the whole campaign
    """
    from kiemtra.projections.documents.service import make_document

    s = settings()
    made = make_document(s.database, s.actor, kind, campaign, unit, day=day, today=today(),
                         output=output, draft=draft, pdf=pdf, text_file=text_file, force=force)
    emit(made.to_json(), lambda _: click.echo(made.text(s.lang)))


@cli.command("documents", help_vi="Sổ đăng ký văn bản đã ban hành (số, ngày, loại, đơn vị, "
             "mã SHA-256).", example="kiemtra documents KTD-TKT-2026")
@argument("campaign", required=False)
@json_option
def documents(campaign: str | None) -> None:
    """The register of issued documents (number, date, kind, unit, SHA-256)."""
    from kiemtra.projections.documents.service import register

    emit(register(settings().database, campaign), print_register)


def register_note(r: Row) -> str:
    if r["void"]:
        return say(f"hết hiệu lực từ {fmt(r['void']['on'])}: {r['void']['reason']}",
                   f"void since {fmt(r['void']['on'])}: {r['void']['reason']}")
    if r["replaced_by"]:
        return say(f"đã được thay thế bởi số {r['replaced_by']}", f"replaced by {r['replaced_by']}")
    if r["replaces"]:
        return say(f"thay thế số {r['replaces']}", f"replaces {r['replaces']}")
    return ""


def print_register(rows: list[Row]) -> None:
    """The register; each file's name and whole SHA-256 on lines of their own below, so a
    code is never cut (the file can be had with `kiemtra attachment get`)."""
    from kiemtra.projections.documents.service import kind_name

    one = len({r["campaign"] for r in rows}) == 1
    where = (Col("unit", lambda r: r["unit"] or "-", no_wrap=True) if one else
             Col("campaign_unit", lambda r: "/".join(x for x in (r["campaign"], r["unit"]) if x),
                 no_wrap=True))
    title = say("Sổ đăng ký văn bản", "Document register")
    show_table(title + (f" — {rows[0]['campaign']}" if one else ""), (
        Col("symbol", lambda r: r["symbol"], no_wrap=True),
        Col("issued_on", lambda r: fmt(r["issued_on"]), no_wrap=True),
        Col("kind", lambda r: kind_name(r["kind"], settings().lang)), where,
        Col("issued_by", lambda r: r["issued_by"], drop=1), Col("note", register_note),
    ), rows, overflow="fold")
    for r in rows:
        console().print(f"  {r['symbol']}  {r['name']}", overflow="fold", markup=False)
        console().print(f"    SHA-256 {r['sha256']}", markup=False, soft_wrap=True)


# --- demo -------------------------------------------------------------------------------


DEMO_AS_OF = date(2026, 10, 15)


@cli.command(help_vi="""Chạy thử một kế hoạch mẫu hoàn chỉnh trong cơ sở dữ liệu mới.

             Dùng --db đã cho nếu đó là cơ sở dữ liệu mới, nếu không thì một cơ sở dữ liệu
             tạm mới.""", example="kiemtra demo")
def demo() -> None:
    """Run a complete sample campaign in a new database.

    Uses the given --db if it is new, else a fresh temporary database.
    """
    from kiemtra.projections.audit.trail import history as timeline
    from kiemtra.projections.views import Views
    from kiemtra.workflow import demo_database, open_store, run_demo

    s = settings()
    database = demo_database(s.database if s.db_given else None)
    out = console()
    out.print(say("[bold]kiemtra — chạy thử kế hoạch tự kiểm tra CCHC của xã Khúc Thừa Dụ[/]",
                  "[bold]kiemtra — demo campaign of Khúc Thừa Dụ commune[/]"))
    store = open_store(database)
    for st in run_demo(store):
        where = f"{st.unit:5}" if st.unit else "     "
        out.print(f"  {fmt(st.day)}  {where} {st.actor:12} {s.word((st.say_vi, st.say_en))}")
    out.print()
    rows = Views(database).fresh().status(DEMO_AS_OF)
    print_status(rows)
    out.print()
    print_history(timeline(database, rows[0]["campaign"], "vhxh"))
    out.print()
    print_demo_documents(database)
    out.print()
    events = store.event_count()
    store.close()
    db = database.without_password()  # printed, and a terminal's history keeps it
    out.print(say(f"Tình hình trên tính đến {fmt(DEMO_AS_OF)}, sau đợt kiểm tra.\n"
                  f"Dữ liệu chạy thử: {db} ({events} sự kiện). Xem tiếp:",
                  f"The status above is as of {fmt(DEMO_AS_OF)}, after the campaign.\n"
                  f"Demo data: {db} ({events} events). Explore:"))
    for command in (say("status --as-of 01/10/2026", "status --as-of 2026-10-01"),
                    "history KTD-TKT-2026 hcc", "audit KTD-TKT-2026 --unit hcc", "audit verify",
                    "documents", "document minutes KTD-TKT-2026 vhxh --draft"):
        out.print(f"  kiemtra --db {db} {command}")


def print_demo_documents(database: Database) -> None:
    """Issue the demo's four documents into a folder beside its database; say where."""
    from kiemtra.projections.documents.service import make_document
    from kiemtra.workflow import DEMO_DOCUMENTS

    # beside a SQLite file; for a server, in the folder the demo was run from
    folder = (Path.cwd() if database.is_postgres else database.sqlite_path.parent) / say(
        "van-ban", "documents")
    folder.mkdir(exist_ok=True)
    click.echo(say(f"Văn bản đã ban hành (DOCX, theo Nghị định 30/2020), trong {folder}:",
                   f"Documents issued (DOCX, in the layout of Decree 30/2020), in {folder}:"))
    for kind, unit, actor, day in DEMO_DOCUMENTS:
        made = make_document(database, actor, kind, "KTD-TKT-2026", unit, day=day, today=day,
                             output=str(folder), draft=False, pdf=False, text_file=None,
                             force=True)
        click.echo(f"  {made.symbol:11} {Path(made.path).name}")


if __name__ == "__main__":
    main()
