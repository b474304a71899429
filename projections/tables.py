"""The read models: SQLAlchemy tables beside the events, in the same database.

Every row here can be thrown away and rebuilt from the event log
(`kiemtra projections rebuild`). `view_tracking` holds, per projector, the
notification id of the last event applied; it is written in the same
transaction as the rows, which is what makes each event count exactly once.

The keys of the other tables are unique indexes rather than primary keys: a full
rebuild drops the indexes, loads the rows in log order and makes each index again,
sorted, near the end (the few rows written after that go in as usual). A primary key
would be filled row by row in random order (the keys are hashes), which cost the
rebuild about a twentieth of its time.
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
    Column("code_key", String(40), nullable=False),  # casefolded code, for lookups
    Column("code", String(40), nullable=False),
    Column("title", Text, nullable=False),
    Column("authority", Text, nullable=False),
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=False),
    Column("secretariat_name", Text, nullable=False),  # for the due list, without the plan
    Column("leader_name", Text, nullable=False),
    Column("imported_on", Date, nullable=False),
    # The notification id of the PlanImported event: import order, and where the plan
    # itself is read (`views._plan`) instead of keeping a second copy of it here.
    Column("position", Integer, nullable=False),
    Index("ux_view_campaigns", "code_key", unique=True),
)

inspections = Table(
    "view_inspections",
    metadata,
    Column("originator_id", String(32), nullable=False),
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
    Index("ux_view_inspections", "originator_id", unique=True),
    Index("ix_view_inspections_campaign", "campaign_key", "seq"),
    Index("ix_view_inspections_next_deadline", "next_deadline"),
)

deadlines = Table(
    "view_deadlines",
    metadata,
    Column("originator_id", String(32), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("finding", Integer, nullable=False),  # 0 when the deadline is not a finding's
    Column("campaign_key", String(40), nullable=False),
    Column("campaign", String(40), nullable=False),
    Column("unit", String(40), nullable=False),
    Column("due", Date, nullable=False),
    Column("responsible", String(20), nullable=False),
    Index("ux_view_deadlines", "originator_id", "kind", "finding", unique=True),
    Index("ix_view_deadlines_due", "due"),
)

deliveries = Table(
    "view_deliveries",
    metadata,
    Column("originator_id", String(32), nullable=False),
    Column("version", Integer, nullable=False),
    Column("key", Text, nullable=False),
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
    Index("ux_view_deliveries", "originator_id", unique=True),
    Index("ux_view_deliveries_key", "key", unique=True),
    Index("ix_view_deliveries_deadline", "campaign_key", "unit", "kind", "finding", "due"),
    Index("ix_view_deliveries_state", "state"),
)

VIEWS = (campaigns, inspections, deadlines, deliveries)
