"""The application layer: the event store, and the services that run one command each.

Its public face, for the layers above (projections/, notifications/, cli.py), is the
names of `__all__`, imported from this package (`from kiemtra.workflow import
Database`); the modules behind them are its internals, and the architecture test holds
the layers above to that. The names are loaded when first used (PEP 562), so a read
that needs only `Database` does not import the event store and its library.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kiemtra.workflow.attachments import pieces as attachment_pieces
    from kiemtra.workflow.attachments import stored_codes, stored_digest
    from kiemtra.workflow.chain_repair import rechain
    from kiemtra.workflow.clock import VIETNAM, now, today
    from kiemtra.workflow.database import Database
    from kiemtra.workflow.dbfile import (
        DATA_FORMAT,
        ORIGINS_FORMAT,
        Found,
        database_fault,
        read_uri,
        write_refused,
    )
    from kiemtra.workflow.demo import (
        DEMO_DOCUMENTS,
        DemoStep,
        demo_database,
        metrics_text,
        run_demo,
        template_text,
    )
    from kiemtra.workflow.documents import Paper
    from kiemtra.workflow.documents import draft as draft_document
    from kiemtra.workflow.documents import issue as issue_document
    from kiemtra.workflow.errors import (
        ConcurrentChange,
        InvalidSetting,
        OutputExists,
        StorageUnavailable,
        UnreadableFile,
        UnwritableFile,
    )
    from kiemtra.workflow.files import (
        CHUNK,
        AttachmentBlob,
        StagedFiles,
        read_attachments,
        read_text_file,
        replace_file,
        replace_files,
        replacing,
    )
    from kiemtra.workflow.files import _reason as os_reason
    from kiemtra.workflow.log_tables import RawLog, raw_log
    from kiemtra.workflow.receipts import receipt
    from kiemtra.workflow.schema_lock import SCHEMA_LOCK, VIEWS_LOCK, advisory_lock
    from kiemtra.workflow.services import (
        Workflow,
        amend_plan_file,
        existing_workflow,
        import_plan_file,
    )
    from kiemtra.workflow.store import (
        EventStore,
        attachment_codes,
        first_event_naming,
        init_database,
        open_store,
        read_attachment,
    )
    from kiemtra.workflow.transcoding import transcoder

_HOMES = {
    "attachment_pieces": "attachments", "stored_codes": "attachments",
    "stored_digest": "attachments", "CHUNK": "files",
    "VIETNAM": "clock", "now": "clock", "today": "clock",
    "Database": "database",
    "DATA_FORMAT": "dbfile", "ORIGINS_FORMAT": "dbfile", "Found": "dbfile",
    "database_fault": "dbfile", "read_uri": "dbfile",
    "write_refused": "dbfile",
    "Paper": "documents", "draft_document": "documents", "issue_document": "documents",
    "DEMO_DOCUMENTS": "demo", "DemoStep": "demo", "demo_database": "demo",
    "metrics_text": "demo", "run_demo": "demo", "template_text": "demo",
    "ConcurrentChange": "errors", "InvalidSetting": "errors", "StorageUnavailable": "errors",
    "UnreadableFile": "errors", "UnwritableFile": "errors", "OutputExists": "errors",
    "read_attachments": "files", "read_text_file": "files",
    "replace_file": "files", "replace_files": "files", "StagedFiles": "files",
    "replacing": "files", "os_reason": "files",
    "receipt": "receipts", "rechain": "chain_repair",
    "RawLog": "log_tables", "raw_log": "log_tables",
    "SCHEMA_LOCK": "schema_lock", "VIEWS_LOCK": "schema_lock", "advisory_lock": "schema_lock",
    "Workflow": "services", "amend_plan_file": "services", "existing_workflow": "services",
    "import_plan_file": "services",
    "AttachmentBlob": "files", "EventStore": "store", "open_store": "store",
    "init_database": "store",
    "read_attachment": "store", "attachment_codes": "store", "first_event_naming": "store",
    "transcoder": "transcoding",
}
__all__ = [
    "CHUNK", "attachment_pieces", "rechain", "RawLog", "raw_log", "stored_codes", "stored_digest",
    "DATA_FORMAT", "ORIGINS_FORMAT", "DEMO_DOCUMENTS", "Found", "VIETNAM", "database_fault",
    "read_uri",
    "write_refused", "AttachmentBlob", "attachment_codes", "ConcurrentChange",
    "Database", "DemoStep",
    "EventStore", "InvalidSetting", "OutputExists", "Paper", "StorageUnavailable",
    "UnreadableFile", "UnwritableFile", "Workflow", "amend_plan_file", "demo_database",
    "draft_document", "existing_workflow",
    "import_plan_file", "init_database", "issue_document", "metrics_text", "now",
    "open_store", "os_reason",
    "read_attachment", "read_attachments", "read_text_file", "receipt", "replace_file",
    "replace_files", "replacing", "StagedFiles",
    "run_demo",
    "SCHEMA_LOCK", "VIEWS_LOCK", "advisory_lock", "first_event_naming",
    "template_text",
    "today", "transcoder",
]
_ALIASES = {"draft_document": "draft", "issue_document": "issue",
            "attachment_pieces": "pieces", "os_reason": "_reason"}  # name here → in its home
assert set(__all__) == set(_HOMES)


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        msg = f"module {__name__!r} has no attribute {name!r}"
        raise AttributeError(msg)
    module = import_module(f"{__name__}.{home}")
    value = getattr(module, _ALIASES.get(name, name))
    globals()[name] = value  # the next look-up is a plain one
    return value
