"""What the team leader asks, answered from the read models.

Every question first catches the views up with the event log (usually a single
indexed look-up that finds nothing new), then reads indexed rows; nothing here
replays the log, except `status_at`, which reviewers use rarely.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, case, create_engine, func, inspect, select

from domain.errors import UnknownCampaign
from domain.ids import campaign_id, inspection_id
from domain.metrics import derived_rates
from domain.record import status_row
from domain.vocabulary import WEEKDAYS_VI
from projections import tables as t
from projections.events import EventDecoder, read_notifications, read_streams
from projections.projector import NAME, Row, StatusProjector

CONCLUDED = ("concluded", "remediated")


class Views:
    """The read models of one database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.projector = StatusProjector(engine)

    def fresh(self) -> Views:
        """Create the view tables if needed and apply the events not yet applied."""
        with self.engine.connect() as conn:
            ready = inspect(conn).has_table(t.tracking.name)
        if not ready:
            self.projector.ensure_tables()
        self.projector.catch_up()
        return self

    def rebuild(self) -> int:
        return self.projector.rebuild()

    # --- status ---------------------------------------------------------------------

    def status(self, as_of: date, code: str | None = None) -> list[dict[str, Any]]:
        query = (select(t.inspections)
                 .join(t.campaigns, t.campaigns.c.code_key == t.inspections.c.campaign_key)
                 .order_by(t.campaigns.c.position, t.inspections.c.seq))
        with self.engine.connect() as conn:
            if code:
                key = self._campaign(conn, code)["code_key"]
                query = query.where(t.inspections.c.campaign_key == key)
            rows = [Row.from_db(r) for r in conn.execute(query)]
        return [status_row(r.record, r.unit_name, as_of) for r in rows]

    def status_at(self, at: datetime, as_of: date, code: str | None = None
                  ) -> list[dict[str, Any]]:
        """The status as it was recorded at `at`: only events recorded until then count.

        The events are folded by the same projector into a throwaway in-memory view.
        """
        memory = Views(create_engine("sqlite://"))
        memory.projector.ensure_tables()
        decoder = EventDecoder()
        with self.engine.connect() as conn, memory.engine.begin() as target:
            if code:
                plan = self._campaign(conn, code)
                ids = [campaign_id(plan["code"]).hex] + [
                    inspection_id(plan["code"], u["code"]).hex for u in plan["plan"]["units"]]
                batches: Iterable[list[Any]] = [read_streams(conn, ids)]
            else:
                batches = _all_batches(conn)
            position = 0
            for batch in batches:
                kept = [n for n in batch if decoder.decode(n)[1]["timestamp"] <= at]
                if kept:
                    memory.projector.apply(target, position, kept)
                    position = kept[-1].id
        with memory.engine.connect() as conn:
            if code and conn.execute(select(t.campaigns)).first() is None:
                return []
        return memory.status(as_of, code)

    # --- due list -------------------------------------------------------------------

    def due(self, as_of: date, within: int | None) -> list[dict[str, Any]]:
        d, i, c = t.deadlines, t.inspections, t.campaigns
        query = (select(d, i.c.unit_name, c.c.plan)
                 .join(i, i.c.originator_id == d.c.originator_id)
                 .join(c, c.c.code_key == d.c.campaign_key)
                 .order_by(d.c.due, c.c.position, i.c.seq, d.c.finding))
        if within is not None:
            query = query.where(d.c.due <= as_of + timedelta(days=within))
        with self.engine.connect() as conn:
            rows = list(conn.execute(query))
        return [{
            "campaign": r.campaign, "unit": r.unit, "unit_name": r.unit_name, "kind": r.kind,
            "due": r.due.isoformat(), "weekday": WEEKDAYS_VI[r.due.weekday()],
            "days_left": (r.due - as_of).days, "overdue": as_of > r.due,
            "finding": r.finding or None, "responsible": r.responsible,
            "responsible_name": _responsible_name(r.responsible, r.unit_name, r.plan),
            "as_of": as_of.isoformat(),
        } for r in rows]

    # --- campaigns and the secretariat's summary ------------------------------------

    def campaigns(self, as_of: date) -> list[dict[str, Any]]:
        i, c = t.inspections, t.campaigns
        cancelled = func.sum(case((i.c.state == "cancelled", 1), else_=0))
        query = (
            select(
                c.c.code, c.c.title, c.c.authority, c.c.period_start, c.c.period_end,
                func.count(i.c.originator_id).label("units"),
                cancelled.label("cancelled"),
                func.sum(case((i.c.state.in_(CONCLUDED), 1), else_=0)).label("concluded"),
                func.sum(i.c.findings_open).label("findings_open"),
                func.sum(case((i.c.next_deadline < as_of, 1), else_=0)).label("overdue"),
                func.sum(case((i.c.report_late, 1), else_=0)
                         + case((i.c.conclusion_late, 1), else_=0)).label("late_steps"),
                func.sum(case((i.c.next_step.is_(None), 1), else_=0)).label("finished"),
            )
            .join(i, i.c.campaign_key == c.c.code_key)
            .group_by(c.c.code_key)
            .order_by(c.c.position)
        )
        with self.engine.connect() as conn:
            rows = list(conn.execute(query))
        return [{
            "code": r.code, "title": r.title, "authority": r.authority,
            "period_start": r.period_start.isoformat(), "period_end": r.period_end.isoformat(),
            "units": r.units, "cancelled": int(r.cancelled), "concluded": int(r.concluded),
            "findings_open": int(r.findings_open), "overdue": int(r.overdue),
            "late_steps": int(r.late_steps), "closed": int(r.finished) == r.units,
            "as_of": as_of.isoformat(),
        } for r in rows]

    def summary(self, code: str, as_of: date) -> dict[str, Any]:
        """The data behind the secretariat's 'Báo cáo kết quả kiểm tra'."""
        with self.engine.connect() as conn:
            camp = self._campaign(conn, code)
        rows = self.status(as_of, code)
        with self.engine.connect() as conn:
            extra = {r.unit: r for r in conn.execute(
                select(t.inspections.c.unit, t.inspections.c.metrics, t.inspections.c.findings)
                .where(t.inspections.c.campaign_key == camp["code_key"]))}
        units = []
        totals: dict[str, dict[str, float]] = {}
        for row in rows:
            metrics = extra[row["unit"]].metrics or {}
            findings = extra[row["unit"]].findings
            for section, figures in metrics.items():
                for metric, value in figures.items():
                    if metric != "satisfaction_percent":
                        bucket = totals.setdefault(section, {})
                        bucket[metric] = bucket.get(metric, 0) + value
            units.append({
                "unit": row["unit"], "unit_name": row["unit_name"], "state": row["state"],
                "surprise": row["surprise"], "on_site": row["on_site"],
                "report": _report_status(row),
                "findings_total": row["findings_total"], "findings_open": row["findings_open"],
                "findings_remediated": row["findings_total"] - row["findings_open"],
                "remediations_late": sum(bool(f.get("late")) for f in findings),
                "conclusion_late": row["conclusion_late"],
                "findings": [{"number": f["number"], "text": f["text"],
                              "remediate_by": f["remediate_by"],
                              "remediated_on": f.get("remediated_on")} for f in findings],
                "figures": metrics, "rates": derived_rates(metrics) if metrics else None,
            })
        satisfaction = [u["figures"]["procedures"]["satisfaction_percent"] for u in units
                        if "satisfaction_percent" in u["figures"].get("procedures", {})]
        if satisfaction:
            totals.setdefault("procedures", {})["satisfaction_percent"] = round(
                sum(satisfaction) / len(satisfaction), 1)
        plan = camp["plan"]
        return {
            "campaign": camp["code"], "title": camp["title"], "authority": camp["authority"],
            "number": plan.get("number", ""), "place": plan.get("place", ""),
            "period_start": camp["period_start"].isoformat(),
            "period_end": camp["period_end"].isoformat(), "as_of": as_of.isoformat(),
            "units": units,
            "totals": {
                "units": len(units),
                "inspected": sum(u["state"] not in ("planned", "notified", "report_submitted",
                                                    "cancelled") for u in units),
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

    def _campaign(self, conn: Any, code: str) -> dict[str, Any]:
        found = conn.execute(select(t.campaigns)
                             .where(t.campaigns.c.code_key == code.strip().casefold())).first()
        if found is None:
            raise UnknownCampaign(code=code)
        return dict(found._mapping)


def _all_batches(conn: Any, size: int = 5000) -> Iterable[list[Any]]:
    after = 0
    while batch := read_notifications(conn, after, size):
        yield batch
        after = batch[-1].id


def _report_status(row: dict[str, Any]) -> str:
    if row["report_submitted_on"]:
        return "late" if row["report_late"] else "on_time"
    if row["report_waived"]:
        return "waived"
    return "none" if row["surprise"] or row["inspected_on"] else "pending"


def _responsible_name(responsible: str, unit_name: str, plan: dict[str, Any]) -> str:
    if responsible == "unit":
        return unit_name
    if responsible == "secretariat":
        return str(plan["secretariat"]["name"])
    leader = next((m for m in plan["team"] if m["role"] == "leader"), None)
    if responsible == "leader" and leader:
        return f"{leader['name']} (Tổ trưởng)"
    return "Tổ kiểm tra"


def tracked_position(engine: Engine) -> int:
    with engine.connect() as conn:
        found = conn.execute(select(t.tracking.c.position).where(t.tracking.c.name == NAME))
        return int(found.scalar() or 0)
