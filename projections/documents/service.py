"""The document commands' decisions: make, number and record a document, write it (and
its PDF), list the register.

Everything that can refuse is checked before anything is recorded or written: the
facts (the step recorded), the text file, the output path (a folder that takes files,
no file in the way unless `force`), LibreOffice for `--pdf`, whose PDF is made before the
number is recorded (a failed conversion records nothing). The DOCX is written to a
temporary file in the target folder and renamed into place once it is recorded, so a
refused or failed command leaves neither an event nor a file.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from kiemtra.domain.documents import KINDS, Kind
from kiemtra.domain.errors import InvalidFile, InvalidInput, Problem, UnknownCampaign
from kiemtra.domain.ids import campaign_id
from kiemtra.domain.toml_file import load_toml
from kiemtra.domain.topics import of_events
from kiemtra.projections.documents.facts import Facts, gather
from kiemtra.projections.documents.pdf import pdf_of, require_soffice
from kiemtra.projections.documents.render import render_document
from kiemtra.projections.documents.words import TEXT_KEYS, TEXT_LABELS
from kiemtra.workflow import (
    Database,
    EventStore,
    OutputExists,
    Paper,
    StagedFiles,
    UnwritableFile,
    draft_document,
    issue_document,
    open_store,
    read_text_file,
)


class InvalidTexts(InvalidFile):
    rule = "document_text"


@dataclass(frozen=True)
class Made:
    """A document made (`paper`: numbered or a draft) and where its files were written."""

    paper: Paper
    path: str
    pdf_path: str | None

    def __getattr__(self, name: str) -> Any:  # made.symbol, made.number …: the paper's
        return getattr(self.paper, name)

    def text(self, lang: str) -> str:
        """What the command says it did, in one or two sentences."""
        info = KINDS[Kind(self.kind)]
        when = (f"{self.issued_on:%d/%m/%Y}" if lang == "vi" else self.issued_on.isoformat())
        if self.number is None:
            text = (f"Đã lập bản dự thảo {info.vi} (chưa cấp số, không ghi vào sổ): {self.path}"
                    if lang == "vi" else
                    f"Wrote a draft {info.en.lower()} (no number, nothing recorded): {self.path}")
        else:
            replaced = ((f" (thay thế số {self.replaces})" if lang == "vi"
                         else f" (replaces {self.replaces})") if self.replaces else "")
            text = (f"Đã ban hành {info.vi} số {self.symbol} ngày {when}{replaced}, ghi vào sổ "
                    f"và lưu bản gốc (SHA-256 {self.sha256[:12]}…): {self.path}"
                    if lang == "vi" else
                    f"Issued {info.en.lower()} {self.symbol} of {when}{replaced}, recorded "
                    f"in the register with its file (SHA-256 {self.sha256[:12]}…): {self.path}")
        if self.pdf_path:
            text += f"\nPDF: {self.pdf_path}"
        return text

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "campaign": self.campaign, "unit": self.unit,
                "number": self.number, "symbol": self.symbol,
                "issued_on": self.issued_on.isoformat(), "path": self.path,
                "sha256": self.sha256, "pdf_path": self.pdf_path, "replaces": self.replaces}


def make_document(database: Database, actor: str, kind: str, code: str, unit: str | None, *,
                  day: date | None, today: date, output: str | None, draft: bool,
                  pdf: bool, text_file: str | None, force: bool) -> Made:
    """Make document `kind`; numbered and recorded unless `draft`."""
    if not database.exists():
        raise UnknownCampaign(code=code)
    which = Kind(kind)
    texts = read_texts(text_file, which) if text_file else {}
    if pdf:
        require_soffice()
    store = open_store(database, write=not draft)  # a draft records nothing
    try:
        facts = gather(store, _summary(database), code, which, unit, day, today)
        target = Target(output, force)
        target.check_folder()

        # the files of the attempt that numbers the document, written beside where they
        # go before the number is recorded (a full disk refuses the document, and nothing
        # is recorded), and put in place once it is
        staged = StagedFiles()

        def render(number: int | None, symbol: str) -> tuple[str, bytes]:
            staged.discard()  # an attempt that lost its number to another process
            name = file_name(facts, number, symbol)
            target.check(name)
            content = render_document(which.value, facts.context, symbol, texts)
            staged.add(target.path(name), content, force=True)  # checked just above
            if pdf:
                target.check(name, ".pdf")
                staged.add(target.path(name).with_suffix(".pdf"), pdf_of(name, content),
                           force=True)
            return name, content

        issued_on = facts.context["issued_on"]
        try:
            if draft:
                paper = draft_document(facts.plan, which, facts.unit, issued_on, render)
            else:
                paper = issue_document(store, actor, facts.plan.code, which, facts.unit,
                                       issued_on=issued_on, earliest=facts.earliest,
                                       facts_through=facts.facts_through, render=render)
        except BaseException:
            staged.discard()
            raise
    finally:
        store.close()
    path = target.path(paper.name)
    try:
        staged.place()
    except UnwritableFile as exc:  # a rename in its folder: the folder removed meanwhile
        if paper.number is None:
            raise
        raise IssuedButNotWritten(symbol=paper.symbol, sha256=paper.sha256,
                                  path=exc.params["path"], reason=exc.params["reason"]) from None
    return Made(paper, str(path), str(path.with_suffix(".pdf")) if pdf else None)


class IssuedButNotWritten(InvalidInput):
    """A numbered document is recorded with its original before its file is written; a
    full disk then loses only the copy, and says where the original is."""

    rule = "file"
    vi = ("Văn bản số {symbol} đã được ban hành và bản gốc đã lưu trong cơ sở dữ liệu, nhưng "
          "không ghi được tệp {path}: {reason}. Lấy lại bản gốc bằng "
          "“kiemtra attachment get {sha256} -o TỆP”.")
    en = ("Document {symbol} was issued and its original stored in the database, but the "
          "file {path} could not be written: {reason}. Get the original with "
          "'kiemtra attachment get {sha256} -o FILE'.")


def _summary(database: Database) -> Callable[[str, date], dict[str, Any]]:
    def summary(code: str, as_of: date) -> dict[str, Any]:
        from kiemtra.projections.views import Views

        return Views(database).fresh().summary(code, as_of)

    return summary


def file_name(facts: Facts, number: int | None, symbol: str) -> str:
    """'bien-ban-kiem-tra_KTD-TKT-2026_hcc_01-BB-TKT-2026.docx' (a number is unique in its
    year); a draft's ends 'du-thao'."""
    parts = [KINDS[facts.kind].slug, facts.plan.code]
    if facts.unit:
        parts.append(facts.unit)
    year = facts.context["issued_on"].year
    parts.append("du-thao" if number is None else f"{symbol.replace('/', '-')}-{year}")
    return "_".join(parts) + ".docx"


class Target:
    """Where the file goes: `output` a file name, an existing folder, or the current one."""

    def __init__(self, output: str | None, force: bool) -> None:
        self.output = Path(output).absolute() if output else None  # JSON gives whole paths
        self.force = force

    def folder(self) -> Path:
        if self.output is None:
            return Path.cwd()
        return self.output if self.output.is_dir() else self.output.parent

    def path(self, name: str) -> Path:
        if self.output is not None and not self.output.is_dir():
            return self.output
        return self.folder() / name

    def check_folder(self) -> None:
        folder = self.folder()
        if not folder.is_dir() or not os.access(folder, os.W_OK):
            raise UnwritableFile(path=str(self.path("…")), reason=(
                "thư mục không tồn tại hoặc không ghi được",
                "the folder does not exist or cannot be written"))

    def check(self, name: str, suffix: str = "") -> None:
        """Refuse a file in the way of `name` (or of its sibling with `suffix`, the PDF)."""
        path = self.path(name)
        if suffix:
            path = path.with_suffix(suffix)
        if path.exists() and not self.force:
            raise OutputExists(path=str(path))
        if path.is_dir():
            raise UnwritableFile(path=str(path), reason=("đó là một thư mục", "it is a folder"))


def read_texts(path: str, kind: Kind) -> dict[str, list[str]]:
    """The team's own words: a TOML file whose keys are the parts of `kind` a person
    writes, each a text (paragraphs split at blank lines) or a list of paragraphs."""
    data = load_toml(read_text_file(path), path, InvalidTexts)
    allowed = TEXT_KEYS[kind.value]
    problems = [Problem(key, "không phải phần tự viết của loại văn bản này (được dùng: "
                        f"{', '.join(allowed) or 'không có'})",
                        f"is not a part of this kind to write (allowed: "
                        f"{', '.join(allowed) or 'none'})") for key in data if key not in allowed]
    texts: dict[str, list[str]] = {}
    for key in allowed:
        value = data.get(key)
        if value is None:
            continue
        if isinstance(value, str):
            paragraphs = [" ".join(p.split()) for p in value.split("\n\n")]
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            paragraphs = [" ".join(v.split()) for v in value]
        else:
            problems.append(Problem(key, f"{TEXT_LABELS[key]}: phải là chuỗi hoặc danh sách "
                                         "chuỗi", "must be a string or a list of strings"))
            continue
        texts[key] = [p for p in paragraphs if p]
    if problems:
        raise InvalidTexts(path, problems)
    return texts


# --- the register -------------------------------------------------------------------------


def register(database: Database, code: str | None) -> list[dict[str, Any]]:
    """Every issued document (of one campaign), in the order issued, with what replaced it."""
    if not database.exists():
        if code:
            raise UnknownCampaign(code=code)
        return []
    store = open_store(database, write=False)
    try:
        return register_rows(store, code)
    finally:
        store.close()


def register_rows(store: EventStore, code: str | None) -> list[dict[str, Any]]:
    from uuid import UUID

    from eventsourcing.persistence import StoredEvent

    if code is not None:
        if store.get(campaign_id(code.strip())) is None:
            raise UnknownCampaign(code=code)
        stored = store.stored_rows(streams=[campaign_id(code.strip())])
    else:
        stored = store.stored_rows(topics=of_events("DocumentIssued", "DocumentVoided"))
    wanted = set(of_events("DocumentIssued", "DocumentVoided"))
    rows: list[dict[str, Any]] = []
    latest: dict[tuple[str, str, str | None], dict[str, Any]] = {}
    for position, oid, version, topic, payload in stored:
        if str(topic) not in wanted:
            continue
        event: Any = store.mapper.to_domain_event(
            StoredEvent(UUID(str(oid)), int(version), str(topic), bytes(payload)))
        if type(event).__name__ == "DocumentVoided":
            for earlier in rows:
                if (earlier["campaign"], earlier["symbol"], earlier["issued_on"]) == (
                        event.campaign, event.symbol, event.issued_on.isoformat()):
                    earlier["void"] = {"on": event.effective_date.isoformat(),
                                       "reason": event.reason, "by": event.actor}
            continue
        file = event.attachments[0]
        row = {"campaign": event.campaign, "kind": event.kind, "unit": event.unit,
               "number": event.number, "symbol": event.symbol,
               "issued_on": event.effective_date.isoformat(), "issued_by": event.actor,
               "recorded_at": event.timestamp.isoformat(), "position": position,
               "facts_through": event.facts_through, "name": file["name"],
               "sha256": file["sha256"], "size": file["size"], "replaces": event.replaces,
               "replaced_by": None, "void": None}
        key = (event.campaign, event.kind, event.unit)
        if key in latest and not latest[key]["void"]:  # a void one is not replaced
            latest[key]["replaced_by"] = event.symbol
        latest[key] = row
        rows.append(row)
    return rows


def kind_name(kind: str, lang: str) -> str:
    info = KINDS[Kind(kind)]
    return info.vi if lang == "vi" else info.en
