"""What the team leader asks, answered from the read models.

Every question first makes sure the views have applied every recorded event:
two indexed look-ups, and a catch-up through the projector only when something
is new. Then it reads indexed rows; nothing here replays the log except
`status_at`, which reviewers use rarely.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from kiemtra.domain.deadlines import (
    COUNTED_FROM,
    OVERDUE_SQL,
    days_left,
    estimated_deadline,
    is_overdue,
)
from kiemtra.domain.errors import UnknownCampaign
from kiemtra.domain.formats import as_date, iso
from kiemtra.domain.ids import campaign_id, inspection_id
from kiemtra.domain.metrics import derived_rates
from kiemtra.domain.record import status_row
from kiemtra.domain.vocabulary import WEEKDAYS_VI
from kiemtra.projections.flat_json import deep_flat_decode, flat_decode
from kiemtra.projections.fold import UNREADABLE
from kiemtra.projections.reader import EngineReader, Reader, SqliteReader
from kiemtra.projections.rows import Row
from kiemtra.projections.schema import SCHEMA_VERSION

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from kiemtra.domain.errors import KiemtraError
    from kiemtra.projections.projector import Projector
    from kiemtra.workflow import Database, Found

CONCLUDED = ("concluded", "remediated")

FAILED_DELIVERY = "(r.state = 'failed' OR r.recipients_refused > 0)"
"""A reminder `status` and `due` mark as failed: failed for good, or refused for some of
its recipients (`ledger.counts_as_failed`)."""
STATUS_SQL = """
SELECT i.*,
  (SELECT COUNT(*) FROM view_deliveries r WHERE r.campaign_key = i.campaign_key
   AND r.unit = i.unit AND {failed}) AS reminders_failed
FROM view_inspections i JOIN view_campaigns c ON c.code_key = i.campaign_key
{where} ORDER BY c.position, i.seq
""".replace("{failed}", FAILED_DELIVERY)
DUE_SQL = """
SELECT d.*, i.unit_name, c.secretariat_name, c.leader_name,
  i.planned_on_site AS i_planned_on_site, i.on_site AS i_on_site,
  i.concluded_on AS i_concluded_on,
  (SELECT COUNT(*) FROM view_deliveries r WHERE r.campaign_key = d.campaign_key
   AND r.unit = d.unit AND r.kind = d.kind AND r.finding = d.finding AND r.due = d.due
   AND {failed}) AS reminders_failed
FROM view_deadlines d
JOIN view_inspections i ON i.originator_id = d.originator_id
JOIN view_campaigns c ON c.code_key = d.campaign_key
{where} ORDER BY d.due, c.position, i.seq, d.finding
""".replace("{failed}", FAILED_DELIVERY)
UNDELIVERED_SQL = """
SELECT * FROM view_deliveries WHERE state <> 'sent' OR recipients_refused > 0
ORDER BY due, key
"""
"""What `remind --failed` lists (`ledger.needs_attention`): failed, waiting to be retried,
of unknown outcome, claimed and not finished (under way, or interrupted), or refused for
some recipient."""
DEADLINES_SQL = """
SELECT d.kind, d.due, d.finding, i.*, c.plan_position FROM view_deadlines d
JOIN view_inspections i ON i.originator_id = d.originator_id
JOIN view_campaigns c ON c.code_key = d.campaign_key
WHERE d.due >= :first AND d.due <= :last
ORDER BY d.due, c.position, i.seq, d.finding
"""
CAMPAIGNS_SQL = """
SELECT c.code, c.title, c.authority, c.period_start, c.period_end,
  COUNT(i.originator_id) AS units,
  SUM(CASE WHEN i.state = 'cancelled' THEN 1 ELSE 0 END) AS cancelled,
  SUM(CASE WHEN i.state IN ('concluded', 'remediated') THEN 1 ELSE 0 END) AS concluded,
  SUM(i.findings_open) AS findings_open,
  (SELECT COUNT(*) FROM view_deadlines d
   WHERE d.campaign_key = c.code_key AND {overdue}) AS overdue,
  SUM(CASE WHEN i.report_late THEN 1 ELSE 0 END
      + CASE WHEN i.conclusion_late THEN 1 ELSE 0 END) AS late_steps,
  SUM(CASE WHEN i.next_step IS NULL THEN 1 ELSE 0 END) AS finished
FROM view_campaigns c JOIN view_inspections i ON i.campaign_key = c.code_key
GROUP BY c.code_key, c.code, c.title, c.authority, c.period_start, c.period_end, c.position
ORDER BY c.position
""".replace("{overdue}", OVERDUE_SQL.format(due="d.due", as_of=":as_of"))
"""The campaign list; its overdue count is that of the deadlines `due` lists as overdue
(each finding's remediation deadline counts, as `due` shows it)."""


class Views:
    """The read models of one database, caught up with its log by `fresh()`."""

    def __init__(self, database: Database | None = None, *,
                 connection: sqlite3.Connection | None = None) -> None:
        """Views of `database`, or of one open SQLite `connection` (views in memory, or a
        database read without writing; `database` then only names it)."""
        self.database = database
        self.connection = connection
        self.note: KiemtraError | None = None  # what a reader should know beside the answer

    @classmethod
    def for_reading(cls, database: Database, campaign: str | None = None) -> Views | None:
        """The views of `database`, caught up; None when nothing was ever recorded there
        (no database: reading never creates one). Asking for a campaign in a database
        that does not exist is asking for an unknown campaign."""
        found = database.found()
        if not found.holds_data:
            if campaign:
                raise UnknownCampaign(code=campaign)
            return None
        return cls(database).fresh(found)

    @cached_property
    def engine(self) -> Engine:
        """SQLAlchemy's engine on the database (PostgreSQL's views are read through it)."""
        assert self.database is not None
        return self.database.engine()

    @cached_property
    def projector(self) -> Projector:
        from kiemtra.projections.projector import Projector

        return Projector(self.backend())

    def backend(self) -> Any:
        from kiemtra.projections.backends import EngineViews, SqliteViews

        if self.connection is not None:
            return SqliteViews(connection=self.connection)
        assert self.database is not None
        if self.database.is_postgres:
            return EngineViews(self.engine)
        return SqliteViews(str(self.database.sqlite_path))

    @contextmanager
    def reader(self) -> Iterator[Reader]:
        reader: Reader
        if self.connection is not None:
            reader = SqliteReader(connection=self.connection)
        elif self.database is not None and not self.database.is_postgres:
            reader = SqliteReader(str(self.database.sqlite_path))
        else:
            reader = EngineReader(self.engine)
        try:
            yield reader
        finally:
            reader.close()

    def fresh(self, found: Found | None = None) -> Views:
        """Make the view tables if needed and apply the events not yet applied.

        Views written by an older kiemtra (another layout), or far behind the log, are
        rebuilt in one pass (`Projector.refresh`); a few new events are caught up.

        A SQLite database that may not be written — read-only, on a full disk, or written
        by a newer kiemtra — is read without writing anything (`unwritten`). `found`: what
        `Database.found` said of it just now, if the caller asked.
        """
        if self.connection is not None or self.database is None or self.database.is_postgres:
            return self._fresh()
        found = found or self.database.found()
        if not found.writable:
            return self.unwritten(found)
        try:
            return self._fresh()
        except sqlite3.Error as exc:
            from kiemtra.workflow import write_refused

            if not write_refused(exc, self.database):
                raise
        return self.unwritten(self.database.found())

    def unwritten(self, found: Found, *, rebuild: bool = False) -> Views:
        """The views of a database read without writing to it: as they stand when they are
        up to date with the log; otherwise caught up (or rebuilt) in memory, from a copy
        of them (or from the log alone), so the answer is never stale and the file never
        touched. `rebuild`: always from the log alone (what a rebuild would write). The
        views returned hold a connection of their own (`close`)."""
        from kiemtra.projections import schema
        from kiemtra.projections.log import has_events

        assert self.database is not None
        note = found.note(self.database)
        stored = sqlite3.connect(found.read_uri, uri=True, timeout=10)
        marks, head = SqliteReader(connection=stored).marks_and_head()
        current = marks.get("schema") == SCHEMA_VERSION and not rebuild
        if current and marks.get("status", 0) >= head:
            views = Views(self.database, connection=stored)
            views.note = note
            return views
        stored.close()
        memory = sqlite3.connect("file::memory:", uri=True, isolation_level=None)
        memory.execute("ATTACH DATABASE ? AS log", (found.read_uri,))
        views = Views(self.database, connection=memory)
        views.note = note
        views.projector.ensure_tables()
        if current:
            with views.backend().locked():
                for view in schema.VIEWS:
                    memory.execute(f"INSERT INTO main.{view.name} SELECT * FROM log.{view.name}")
                memory.execute(f"UPDATE main.{schema.TRACKING.name} SET position = ? WHERE "
                               "name = 'status'", (marks.get("status", 0),))
        if has_events(memory):
            views._fresh()
        return views

    def close(self) -> None:
        """Close the connection these views hold (views from `unwritten`)."""
        if self.connection is not None:
            self.connection.close()

    def _fresh(self) -> Views:
        with self.reader() as r:
            marks, head = r.marks_and_head()
        position = marks.get("status", 0)
        current = marks.get("schema") == SCHEMA_VERSION
        if current and position >= head:
            return self
        from kiemtra.projections.projector import far_behind

        if current and not far_behind(position, head):
            self.projector.catch_up()  # a few new events: nothing to decide under the lock
        else:
            self.projector.refresh()
        return self

    @classmethod
    def for_rebuilding(cls, database: Database) -> Views | None:
        """The views of `database`, to be dropped and folded again (`rebuild`): None where
        nothing was recorded; refused where this release may not write, before any work."""
        found = database.found()
        if not found.holds_data:
            return None
        if not database.is_postgres:
            found.require_writable(database)
        return cls(database)

    def rebuild(self) -> int:
        """Drop the views of the database and fold its log again (a write: refused where
        this release may not write)."""
        if self.database is not None and self.connection is not None:  # read unwritten
            self.database.found().require_writable(self.database)
            return Views(self.database).rebuild()
        return self.projector.rebuild()

    def unreadable(self) -> list[int]:
        """The positions of the stored events that no longer decode, which the views were
        folded without (none, unless the file was altered or damaged)."""
        with self.reader() as r:
            return [int(x["position"]) for x in
                    r.rows("SELECT position FROM view_unreadable ORDER BY position")]

    # --- status ---------------------------------------------------------------------

    def status(self, as_of: date, code: str | None = None) -> list[dict[str, Any]]:
        with self.reader() as r:
            if code:
                key = _campaign(r, code)["code_key"]
                rows = r.rows(STATUS_SQL.format(where="WHERE i.campaign_key = :key"),
                              {"key": key})
            else:
                rows = r.rows(STATUS_SQL.format(where=""))
        return [dict(status_row(row.record, row.unit_name, as_of),
                     reminders_failed=int(raw["reminders_failed"]))
                for raw, row in zip(rows, map(Row.from_db, rows), strict=True)]

    def status_at(self, at: datetime, as_of: date, code: str | None = None
                  ) -> list[dict[str, Any]]:
        """The status as it was recorded at `at`: only events recorded until then count.

        The same projector folds those events into a throwaway view in memory.
        """
        memory = Views(connection=sqlite3.connect(":memory:", isolation_level=None))
        memory.projector.ensure_tables()
        ids = None
        with self.reader() as r:
            if code:
                camp = _campaign(r, code)
                units = plan_at(r, camp["plan_position"])["units"]
                owner = campaign_id(camp["code"]).hex
                gone = [c for e in r.events_of([owner])
                        for c in flat_decode(e[4]).get("withdrawn", ())]  # left the plan
                ids = [owner] + [inspection_id(camp["code"], c).hex
                                 for c in [*(u["code"] for u in units), *gone]]
                batches: Iterable[list[Any]] = [r.events_of(ids)]
            else:
                batches = _batches(lambda after: r.events_after(after, 5000))
            position = 0
            with memory.backend().locked() as session:
                for batch in batches:
                    kept = [e for e in batch if _recorded_at(e[4]) <= at]
                    if kept:
                        memory.projector.apply(session, position, kept)
                        position = kept[-1][0]
        if ids is not None and position == 0:
            return []  # the campaign had not been imported yet
        return memory.status(as_of, code)

    # --- due list -------------------------------------------------------------------

    def due(self, as_of: date, within: int | None) -> list[dict[str, Any]]:
        with self.reader() as r:
            if within is None:
                rows = r.rows(DUE_SQL.format(where=""))
            else:
                rows = r.rows(DUE_SQL.format(where="WHERE d.due <= :limit"),
                              {"limit": as_of + timedelta(days=within)})
        result = []
        for row in rows:
            due = as_date(row["due"])
            assert due is not None
            start = COUNTED_FROM[row["kind"]]  # the inspection's field, as DUE_SQL names it
            estimated = estimated_deadline(row["kind"], due, row[f"i_{start}"] if start else None)
            result.append({
                "campaign": row["campaign"], "unit": row["unit"], "unit_name": row["unit_name"],
                "kind": row["kind"], "due": due.isoformat(), "weekday": WEEKDAYS_VI[due.weekday()],
                "days_left": days_left(due, as_of), "overdue": is_overdue(due, as_of),
                "finding": row["finding"] or None, "responsible": row["responsible"],
                "responsible_name": _responsible_name(row),
                "reminder_failed": bool(row["reminders_failed"]),
                "as_of": as_of.isoformat(),
                "calendar_estimated": bool(estimated), "estimated_years": list(estimated),
            })
        return result

    def deadlines_between(self, first: date, last: date) -> list[dict[str, Any]]:
        """Open deadlines due in [first, last], each with its inspection row and plan."""
        plans: dict[int, Any] = {}
        with self.reader() as r:
            rows = r.rows(DEADLINES_SQL, {"first": first, "last": last})
            for row in rows:
                if row["plan_position"] not in plans:
                    plans[row["plan_position"]] = plan_at(r, row["plan_position"])
        found = []
        for row in rows:
            plan = plans[row["plan_position"]]
            found.append({"kind": row["kind"], "due": as_date(row["due"]),
                          "finding": row["finding"] or None, "plan": plan,
                          "row": Row.from_db(row)})
        return found

    def deliveries(self, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The ledger's records for these reminder keys (those that exist)."""
        from kiemtra.projections.rows import delivery_from_row

        wanted = sorted(set(keys))
        found: dict[str, dict[str, Any]] = {}
        with self.reader() as r:
            for i in range(0, len(wanted), 500):
                chunk = wanted[i:i + 500]
                marks = ", ".join(f":k{j}" for j in range(len(chunk)))
                for row in r.rows(f"SELECT * FROM view_deliveries WHERE key IN ({marks})",
                                  {f"k{j}": key for j, key in enumerate(chunk)}):
                    found[row["key"]] = delivery_from_row(row)
        return found

    def undelivered(self, now: datetime | None = None) -> list[dict[str, Any]]:
        """Reminders not simply sent to all: failed for good, waiting to be retried, of
        unknown outcome, claimed and unfinished, or refused for some recipients.

        `retry_after` is when a later run may try again (for a claim, when its lease
        ends); `interrupted`, that the claim's lease has passed with no outcome recorded;
        `refused`, the recipients the server refused (address → reply) and `retry_to`
        those a later run sends to."""
        from kiemtra.domain import ledger
        from kiemtra.projections.rows import delivery_from_row

        now = now or datetime.now(UTC)
        with self.reader() as r:
            rows = r.rows(UNDELIVERED_SQL)
        found = []
        for row in rows:
            record = delivery_from_row(row)
            claimed = record["state"] == ledger.CLAIMED
            retry_after = ledger.lease_end(record) if claimed else record["retry_after"]
            found.append({
                "key": row["key"], "campaign": row["campaign"], "unit": row["unit"],
                "kind": row["kind"], "finding": row["finding"] or None,
                "due": iso(row["due"]), "state": row["state"], "attempts": row["attempts"],
                "subject": row["subject"], "recipients": record["recipients"],
                "error": row["last_error"], "retry_after": iso(retry_after),
                "message_id": row["message_id"], "refused": record["refused"],
                "retry_to": ledger.retry_to(record), "reason": row["reason"],
                "interrupted": ledger.interrupted(record, now), "claimant": row["claimant"],
            })
        return found

    # --- campaigns and the secretariat's summary ------------------------------------

    def campaigns(self, as_of: date) -> list[dict[str, Any]]:
        with self.reader() as r:
            rows = r.rows(CAMPAIGNS_SQL, {"as_of": as_of})
        return [{
            "code": row["code"], "title": row["title"], "authority": row["authority"],
            "period_start": iso(row["period_start"]), "period_end": iso(row["period_end"]),
            "units": int(row["units"]), "cancelled": int(row["cancelled"]),
            "concluded": int(row["concluded"]), "findings_open": int(row["findings_open"]),
            "overdue": int(row["overdue"]), "late_steps": int(row["late_steps"]),
            "closed": int(row["finished"]) == int(row["units"]), "as_of": as_of.isoformat(),
        } for row in rows]

    def summary(self, code: str, as_of: date) -> dict[str, Any]:
        """The data behind the secretariat's 'Báo cáo kết quả kiểm tra'."""
        with self.reader() as r:
            camp = _campaign(r, code)
            plan = plan_at(r, camp["plan_position"])
            rows = [Row.from_db(row) for row in r.rows(
                STATUS_SQL.format(where="WHERE i.campaign_key = :key"),
                {"key": camp["code_key"]})]
        units = [_unit_summary(row, as_of) for row in rows]
        totals = _add_figures(u["figures"] for u in units)
        return {
            "campaign": camp["code"], "title": camp["title"], "authority": camp["authority"],
            "number": plan.get("number", ""), "place": plan.get("place", ""),
            "period_start": iso(camp["period_start"]), "period_end": iso(camp["period_end"]),
            "as_of": as_of.isoformat(),
            "units": units,
            "totals": {
                "units": len(units),
                "inspected": sum(u["inspected"] for u in units),
                "cancelled": sum(u["state"] == "cancelled" for u in units),
                "concluded": sum(u["state"] in CONCLUDED for u in units),
                "surprise": sum(bool(u["surprise"]) for u in units),
                "reports_on_time": sum(u["report"] == "on_time" for u in units),
                "reports_late": sum(u["report"] == "late" for u in units),
                "reports_waived": sum(u["report"] == "waived" for u in units),
                "findings_total": sum(u["findings_total"] for u in units),
                "findings_remediated": sum(u["findings_remediated"] for u in units),
                "findings_open": sum(u["findings_open"] for u in units),
                "figures": totals, "rates": derived_rates(totals) if totals else None,
            },
        }


def totals_text(t: dict[str, Any], lang: str) -> str:
    """The summary's totals in one sentence."""
    if lang == "vi":
        return (f"Tổng: {t['units']} đơn vị; đã kiểm tra {t['inspected']} (đột xuất "
                f"{t['surprise']}); đã kết luận {t['concluded']}; báo cáo đúng hạn "
                f"{t['reports_on_time']}, muộn {t['reports_late']}, miễn {t['reports_waived']}; "
                f"tồn tại {t['findings_total']}, đã khắc phục {t['findings_remediated']}, còn "
                f"mở {t['findings_open']}.")
    return (f"Totals: {t['units']} units; inspected {t['inspected']} (surprise "
            f"{t['surprise']}); concluded {t['concluded']}; reports on time "
            f"{t['reports_on_time']}, late {t['reports_late']}, waived {t['reports_waived']}; "
            f"findings {t['findings_total']}, remediated {t['findings_remediated']}, open "
            f"{t['findings_open']}.")


def _unit_summary(row: Row, as_of: date) -> dict[str, Any]:
    status = status_row(row.record, row.unit_name, as_of)
    metrics = row.record["metrics"] or {}
    findings = row.record["findings"]
    return {
        "unit": status["unit"], "unit_name": status["unit_name"], "state": status["state"],
        "surprise": status["surprise"], "on_site": status["on_site"],
        "inspected": status["inspected_on"] is not None, "report": _report_status(status),
        "findings_total": status["findings_total"], "findings_open": status["findings_open"],
        "findings_remediated": status["findings_total"] - status["findings_open"],
        "remediations_late": sum(bool(f.get("late")) for f in findings),
        "conclusion_late": status["conclusion_late"],
        "findings": [{"number": f["number"], "text": f["text"],
                      "remediate_by": iso(f["remediate_by"]),
                      "remediated_on": iso(f.get("remediated_on"))} for f in findings],
        "figures": metrics, "rates": derived_rates(metrics) if metrics else None,
    }


def _add_figures(all_figures: Iterable[dict[str, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """Counts add up across units; the satisfaction percentage is averaged."""
    totals: dict[str, dict[str, Any]] = {}
    satisfaction = []
    for figures in all_figures:
        for section, values in figures.items():
            for metric, value in values.items():
                if metric == "satisfaction_percent":
                    satisfaction.append(value)
                else:
                    bucket = totals.setdefault(section, {})
                    bucket[metric] = bucket.get(metric, 0) + value
    if satisfaction:
        totals.setdefault("procedures", {})["satisfaction_percent"] = round(
            sum(satisfaction) / len(satisfaction), 1)
    return totals


def _campaign(r: Reader, code: str) -> dict[str, Any]:
    found = r.rows("SELECT * FROM view_campaigns WHERE code_key = :key",
                   {"key": code.strip().casefold()})
    if not found:
        raise UnknownCampaign(code=code)
    return found[0]


def plan_at(r: Reader, position: int) -> dict[str, Any]:
    """A campaign's plan as imported (dates as ISO text), read from its PlanImported event,
    recorded at `position` (the view keeps where the plan is, not a second copy)."""
    plan: dict[str, Any] = deep_flat_decode(r.event_state(position))["plan"]
    return plan


def _batches(read: Any) -> Iterable[list[Any]]:
    after = 0
    while batch := read(after):
        yield batch
        after = batch[-1][0]


def _recorded_at(state: bytes) -> datetime:
    """When an event was recorded, from its stored payload; an event that no longer
    decodes counts as recorded at the very start (the fold then skips it)."""
    try:
        return datetime.fromisoformat(flat_decode(state)["timestamp"])
    except UNREADABLE:
        return datetime.min.replace(tzinfo=UTC)


def _report_status(row: dict[str, Any]) -> str:
    if row["report_submitted_on"]:
        return "late" if row["report_late"] else "on_time"
    if row["report_waived"]:
        return "waived"
    return "none" if row["surprise"] or row["inspected_on"] else "pending"


def _responsible_name(row: dict[str, Any]) -> str:
    match row["responsible"]:
        case "unit":
            return str(row["unit_name"])
        case "secretariat":
            return str(row["secretariat_name"])
        case "leader":
            return f"{row['leader_name']} (Tổ trưởng)"
    return "Tổ kiểm tra"
