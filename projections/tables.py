"""The view tables as SQLAlchemy defines them, built from their layout in `schema.py`.

SQLAlchemy makes the tables (the same DDL on SQLite and PostgreSQL) and writes them on
PostgreSQL; see `schema.py` for why the SQLite path reads and writes them without it.
"""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, Date, Index, Integer, MetaData, String, Table, Text
from sqlalchemy.types import TypeEngine

from kiemtra.projections import schema

KINDS: dict[str, TypeEngine] = {  # type: ignore[type-arg]
    schema.TEXT: Text(), schema.CODE: String(40), schema.NAME: String(20),
    schema.TAG: String(10), schema.STREAM: String(32),
    schema.INT: Integer(), schema.DATE: Date(), schema.BOOL: Boolean(), schema.JSON: JSON(),
}

metadata = MetaData()


def _table(view: schema.View) -> Table:
    columns = [Column(c.name, KINDS[c.kind], nullable=c.nullable,
                      primary_key=c.name == view.primary_key) for c in view.columns]
    indexes = [Index(i.name, *i.columns, unique=i.unique) for i in view.indexes]
    return Table(view.name, metadata, *columns, *indexes)


tracking = _table(schema.TRACKING)
campaigns = _table(schema.CAMPAIGNS)
inspections = _table(schema.INSPECTIONS)
deadlines = _table(schema.DEADLINES)
deliveries = _table(schema.DELIVERIES)
unreadable = _table(schema.UNREADABLE)

VIEWS = (campaigns, inspections, deadlines, deliveries, unreadable)
BY_NAME = {t.name: t for t in (tracking, *VIEWS)}
