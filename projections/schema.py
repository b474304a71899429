"""The layout of the view tables, as plain data: the one place that lists their columns.

`tables.py` builds the SQLAlchemy tables from it (their DDL, and the writes on
PostgreSQL); the SQLite path reads and writes the same tables with the standard
`sqlite3` driver, so that a read which finds a few new events catches up without
importing SQLAlchemy. In the file, dates are ISO text, booleans 0/1 and JSON text —
what SQLAlchemy's Date, Boolean and JSON types store on SQLite.

Every row here can be thrown away and rebuilt from the event log. The keys are unique
indexes rather than primary keys: a full rebuild drops the indexes, loads the rows in
log order and makes each index again, sorted (a primary key would be filled row by row
in random order — the keys are hashes).
"""

from __future__ import annotations

from typing import NamedTuple

# Raise when a view's columns or indexes change: views of another version are rebuilt on
# first use. 6: no index on view_inspections.next_deadline (no query used it). 7:
# view_campaigns.plan_position, where the plan in force is (amendments). 8: the delivery's
# recipients still owed it, why it failed, who claimed it, how many recipients refused it;
# view_unreadable, the events the fold had to skip.
SCHEMA_VERSION = 8

TEXT, CODE, NAME, TAG, STREAM = "text", "code", "name", "tag", "stream"
INT, DATE, BOOL, JSON = "int", "date", "bool", "json"
"""Column kinds: free text, a code or a timestamp (≤ 40 characters), a short name (≤ 20),
a tag (≤ 10), a stream id (32 hex digits), an integer, a date, a boolean, JSON."""


class Column(NamedTuple):  # named tuples: every read of the views imports this module
    name: str
    kind: str
    nullable: bool = False


class Index(NamedTuple):
    name: str
    columns: tuple[str, ...]
    unique: bool = False


class View(NamedTuple):
    name: str
    columns: tuple[Column, ...]
    indexes: tuple[Index, ...] = ()
    primary_key: str | None = None

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def of_kind(self, kind: str) -> list[str]:
        return [c.name for c in self.columns if c.kind == kind]


def _c(spec: str) -> Column:
    """'name kind' or 'name kind?' (nullable)."""
    name, kind = spec.split()
    return Column(name, kind.rstrip("?"), kind.endswith("?"))


def _columns(*specs: str) -> tuple[Column, ...]:
    return tuple(_c(s) for s in specs)


TRACKING = View("view_tracking", _columns("name code", "position int"), primary_key="name")
"""Per projector, the notification id of the last event applied (and the layout's
version, as the row `schema`): written in the same transaction as the rows."""

CAMPAIGNS = View("view_campaigns", _columns(
    "code_key code",  # casefolded code, for lookups
    "code code", "title text", "authority text", "period_start date", "period_end date",
    "secretariat_name text", "leader_name text",  # for the due list, without the plan
    "imported_on date",
    # The notification id of the PlanImported event (import order), and of the event of
    # the plan in force (the import or the last PlanAmended): where the plan itself is
    # read (`views.plan_at`) instead of keeping a second copy of it here.
    "position int", "plan_position int",
), (Index("ux_view_campaigns", ("code_key",), unique=True),))

INSPECTIONS = View("view_inspections", _columns(
    "originator_id stream", "version int",  # the stream, and its last event applied
    "campaign_key code", "campaign code", "seq int",  # seq: the unit's place in the plan
    "unit code", "unit_name text", "state name", "surprise bool", "planned_on_site date?",
    "notice_due date?", "notice_date date?", "on_site date?", "report_due date?",
    "report_submitted_on date?", "report_late bool", "report_waived bool", "metrics json?",
    "inspected_on date?", "absent json", "minutes_on date?", "conclusion_due date?",
    "concluded_on date?", "conclusion_late bool",
    "findings json",  # dates as ISO strings
    "findings_total int", "findings_open int", "cancelled_on date?", "cancel_reason text?",
    "last_step name?", "last_date date?", "next_step name?", "next_deadline date?",
), (Index("ux_view_inspections", ("originator_id",), unique=True),
    Index("ix_view_inspections_campaign", ("campaign_key", "seq"))))

DEADLINES = View("view_deadlines", _columns(
    "originator_id stream", "kind name",
    "finding int",  # 0 when the deadline is not a finding's
    "campaign_key code", "campaign code", "unit code", "due date", "responsible name",
), (Index("ux_view_deadlines", ("originator_id", "kind", "finding"), unique=True),
    Index("ix_view_deadlines_due", ("due",))))

DELIVERIES = View("view_deliveries", _columns(
    "originator_id stream", "version int", "key text", "campaign_key code", "campaign code",
    "unit code", "kind name",
    "finding int",  # 0 when not a finding's deadline
    "due date", "stage_offset int",
    "state tag",  # claimed, sent, retry, unknown, failed (domain/ledger.py)
    "attempts int", "message_id text", "subject text", "recipients json", "refused json",
    "last_error text?",
    "attempt_started_at code?", "retry_after code?", "sent_at code?",  # ISO, UTC
    "pending json",  # the recipients the next attempt goes to
    "reason name?", "claimant text?",
    "recipients_refused int",  # len(refused): what status, due and remind --failed ask
), (Index("ux_view_deliveries", ("originator_id",), unique=True),
    Index("ux_view_deliveries_key", ("key",), unique=True),
    Index("ix_view_deliveries_deadline", ("campaign_key", "unit", "kind", "finding", "due")),
    Index("ix_view_deliveries_state", ("state",))))

UNREADABLE = View("view_unreadable", _columns(
    "position int", "originator_id stream", "topic text",
), (Index("ux_view_unreadable", ("position",), unique=True),))
"""The stored events that no longer decode (altered or damaged in the file), which every
view was folded without: what `status` and a rebuild must say they left out."""

VIEWS = (CAMPAIGNS, INSPECTIONS, DEADLINES, DELIVERIES, UNREADABLE)
"""The derived tables (without the tracking table, which says how far they are)."""
