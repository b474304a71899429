"""The read models: SQLAlchemy tables beside the events, in the same database.

Every row here can be thrown away and rebuilt from the event log
(`kiemtra projections rebuild`). `view_tracking` holds, per projector, the
notification id of the last event applied; it is written in the same
transaction as the rows, which is what makes each event count exactly once.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

tracking = Table(
    "view_tracking",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("position", Integer, nullable=False),
)

campaigns = Table(
    "view_campaigns",
    metadata,
    Column("code_key", String(40), primary_key=True),  # casefolded code, for lookups
    Column("code", String(40), nullable=False),
    Column("title", Text, nullable=False),
    Column("authority", Text, nullable=False),
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=False),
    Column("secretariat_name", Text, nullable=False),  # for the due list, without the plan
    Column("leader_name", Text, nullable=False),
    Column("imported_on", Date, nullable=False),
    # The notification id of the PlanImported event: import order, and where the plan
    # itself is read (`Views.plan`) instead of keeping a second copy of it here.
    Column("position", Integer, nullable=False),
)

inspections = Table(
    "view_inspections",
    metadata,
    Column("originator_id", String(32), primary_key=True),
    Column("version", Integer, nullable=False),  # last applied event of the stream
    Column("campaign_key", String(40), nullable=False),
    Column("campaign", String(40), nullable=False),
    Column("seq", Integer, nullable=False),  # order of units within the plan
    Column("unit", String(40), nullable=False),
    Column("unit_name", Text, nullable=False),
    Column("state", String(20), nullable=False),
    Column("surprise", Boolean, nullable=False),
    Column("planned_on_site", Date),
    Column("notice_due", Date),
    Column("notice_date", Date),
    Column("on_site", Date),
    Column("report_due", Date),
    Column("report_submitted_on", Date),
    Column("report_late", Boolean, nullable=False),
    Column("report_waived", Boolean, nullable=False),
    Column("metrics", JSON),
    Column("inspected_on", Date),
    Column("absent", JSON, nullable=False),
    Column("minutes_on", Date),
    Column("conclusion_due", Date),
    Column("concluded_on", Date),
    Column("conclusion_late", Boolean, nullable=False),
    Column("findings", JSON, nullable=False),  # dates as ISO strings
    Column("findings_total", Integer, nullable=False),
    Column("findings_open", Integer, nullable=False),
    Column("cancelled_on", Date),
    Column("cancel_reason", Text),
    Column("last_step", String(20)),
    Column("last_date", Date),
    Column("next_step", String(20)),
    Column("next_deadline", Date),
    Index("ix_view_inspections_campaign", "campaign_key", "seq"),
    Index("ix_view_inspections_next_deadline", "next_deadline"),
)

deadlines = Table(
    "view_deadlines",
    metadata,
    Column("originator_id", String(32), primary_key=True),
    Column("kind", String(20), primary_key=True),
    Column("finding", Integer, primary_key=True),  # 0 when the deadline is not a finding's
    Column("campaign_key", String(40), nullable=False),
    Column("campaign", String(40), nullable=False),
    Column("unit", String(40), nullable=False),
    Column("due", Date, nullable=False),
    Column("responsible", String(20), nullable=False),
    Index("ix_view_deadlines_due", "due"),
)

deliveries = Table(
    "view_deliveries",
    metadata,
    Column("originator_id", String(32), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("key", Text, nullable=False, unique=True),
    Column("campaign_key", String(40), nullable=False),
    Column("campaign", String(40), nullable=False),
    Column("unit", String(40), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("finding", Integer, nullable=False),  # 0 when not a finding's deadline
    Column("due", Date, nullable=False),
    Column("stage_offset", Integer, nullable=False),
    Column("state", String(10), nullable=False),  # claimed, sent, retry, failed
    Column("attempts", Integer, nullable=False),
    Column("message_id", Text, nullable=False),
    Column("subject", Text, nullable=False),
    Column("recipients", JSON, nullable=False),
    Column("refused", JSON, nullable=False),
    Column("last_error", Text),
    Column("attempt_started_at", String(40)),  # ISO timestamps, UTC
    Column("retry_after", String(40)),
    Column("sent_at", String(40)),
    Index("ix_view_deliveries_deadline", "campaign_key", "unit", "kind", "finding", "due"),
    Index("ix_view_deliveries_state", "state"),
)

VIEWS = (campaigns, inspections, deadlines, deliveries)
