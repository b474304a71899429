"""index.html of a bundle: the campaign's record as a reviewer reads or prints it.

A static page in Vietnamese (the record is an official artefact, as the documents are: no
English version), with no script and nothing fetched from elsewhere (its style is inline,
its fonts the reader's own), A4 when printed. It is made only from what the bundle holds —
the campaign's events as events.jsonl has them, the documents manifest.json lists, the
export time and the signed head — so the same data renders the same page: a reviewer can
make it again from the bundle. Its words are the trail's (`trail.BundleLog` reads the
events as the trail reads the store, `describe` says each step): one describer for the
terminal, the spreadsheet and this page.

The page is an entry of the bundle like any other, listed with its SHA-256 in the signed
manifest: an altered page fails `audit verify --bundle` by its digest. It is a reading aid:
where it and the signed data differ, the data (events.jsonl) is the record.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from jinja2 import Environment, PackageLoader, StrictUndefined

from kiemtra.domain.documents import KINDS, Kind
from kiemtra.domain.formats import format_number
from kiemtra.domain.ids import inspection_id
from kiemtra.domain.plan import LOCAL_LEVELS
from kiemtra.domain.vocabulary import role_label, state_label, step_label
from kiemtra.projections.audit.describe import describe
from kiemtra.projections.audit.minisign import grouped
from kiemtra.projections.audit.trail import UNREADABLE, AuditFilter, BundleLog, audit_rows
from kiemtra.workflow import VIETNAM

CHANGES = ("Corrected", "StepRetracted")
"""Events shown beside the step they change, not in their own place."""


def review_page(events: Mapping[int, Mapping[str, Any]],
                documents: Sequence[Mapping[str, Any]], exported_at: str, head: int,
                head_hash: str, fingerprint: str | None = None) -> bytes:
    """The page (UTF-8) of a bundle whose events.jsonl holds `events` (position → line),
    whose manifest lists `documents` and `exported_at`, signed at the chain's `head`
    (position, hash); `fingerprint`: the signing key's, when it is known."""
    text = _environment().get_template("review.html.j2").render(
        **page_facts(events, documents, exported_at, head, head_hash, fingerprint))
    return text.encode("utf-8")


def page_facts(events: Mapping[int, Mapping[str, Any]],
               documents: Sequence[Mapping[str, Any]], exported_at: str, head: int,
               head_hash: str, fingerprint: str | None = None) -> dict[str, Any]:
    """What the page shows, as plain values (dates already as DD/MM/YYYY)."""
    log = BundleLog(events)
    campaign: Any = log.get(UUID(str(events[min(events)]["originator_id"])))
    plan = campaign.plan
    rows = audit_rows(log, AuditFilter(campaign=campaign.code))
    names = _unit_names(campaign)
    exported = datetime.fromisoformat(exported_at)
    exported = (exported.replace(tzinfo=VIETNAM) if exported.tzinfo is None  # as Vietnam's
                else exported.astimezone(VIETNAM))
    entries = _timeline(rows)
    files = _attachments(rows)
    units = []
    for code, name in names.items():
        inspection: Any = log.get(inspection_id(campaign.code, code))
        record = inspection.record if inspection is not None else None
        units.append({
            "code": code, "name": name, "withdrawn": code in campaign.withdrawn,
            "timeline": entries.get(code, []),
            "result": _result(record, rows, code, exported.date()) if record else None})
    return {
        "authority": plan.authority, "level": _level(plan.locality),
        "code": campaign.code, "title": plan.title,
        "plan_reference": plan.plan_reference, "period": (dmy(plan.period_start),
                                                          dmy(plan.period_end)),
        "exported_at": exported.strftime("%d/%m/%Y %H:%M"),
        "head": head, "head_hash": head_hash,
        "fingerprint": grouped(fingerprint) if fingerprint else None,
        "events": len(events), "general": entries.get(None, []), "units": units,
        "documents": _documents(documents, campaign, names), "attachments": files,
    }


def dmy(day: date | str | None) -> str:
    if day is None or day == "":
        return "—"
    value = date.fromisoformat(day) if isinstance(day, str) else day
    return value.strftime("%d/%m/%Y")


def _level(locality: str) -> str:
    """'xã', 'phường', 'thị trấn' or 'đặc khu': whose key signs ('khóa của phường')."""
    return next((level for level in LOCAL_LEVELS
                 if locality.casefold().startswith(level + " ")), "xã")


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("kiemtra.projections.audit", "templates"),
                      autoescape=True, undefined=StrictUndefined, trim_blocks=True,
                      lstrip_blocks=True)
    env.filters["sha"] = _sha_halves
    return env


def _sha_halves(sha: str) -> tuple[str, str]:
    """A SHA-256 as two halves, so it breaks in the middle on a narrow page, not anywhere."""
    return sha[:32], sha[32:]


def _unit_names(campaign: Any) -> dict[str, str]:
    """The units of the plan in force, in its order, then those withdrawn by an amendment
    (named as the last version that had them)."""
    names = {u.code: u.name for u in campaign.plan.units}
    for code in campaign.withdrawn:
        for _, record in reversed(campaign.versions):
            found = next((u for u in record["units"] if u["code"] == code), None)
            if found is not None:
                names[code] = str(found["name"])
                break
        names.setdefault(code, code)
    return names


def _entry(row: dict[str, Any]) -> dict[str, Any]:
    if row["event"] == UNREADABLE:
        return {"seq": row["seq"], "effective": "—", "back_dated": False, "recorded": "—",
                "actor": None, "actor_id": "—", "role": "", "step": "—", "changes": [],
                "retracted": False,
                "text": "Không đọc được sự kiện này; chạy “kiemtra audit verify --bundle”."}
    recorded = datetime.fromisoformat(row["recorded_at"]).astimezone(VIETNAM)
    role = role_label(row["actor_role"]) if row["actor_role"] else ""
    if role and not row["role_recorded"]:
        role += " (theo kế hoạch)"
    return {
        "seq": row["seq"], "effective": dmy(row["effective_date"]),
        "back_dated": row["back_dated"], "recorded": recorded.strftime("%d/%m/%Y %H:%M"),
        "actor": row["actor_name"], "actor_id": row["actor"],
        "role": role, "step": step_label(row["step"]), "text": describe(row, "vi"),
        "changes": [], "retracted": bool(row.get("retracted_by")),
    }


def _timeline(rows: list[dict[str, Any]]) -> dict[str | None, list[dict[str, Any]]]:
    """Each unit's steps in recording order (None: the campaign's own), each correction or
    retraction placed right under the step it changes."""
    by_seq: dict[int, dict[str, Any]] = {}
    found: dict[str | None, list[dict[str, Any]]] = {}
    for row in rows:
        entry = _entry(row)
        by_seq[row["seq"]] = entry
        target = by_seq.get(row.get("target_seq") or -1)
        if row["event"] in CHANGES and target is not None:
            target["changes"].append(entry)
        else:
            found.setdefault(row["unit"], []).append(entry)
    return found


def _result(record: dict[str, Any], rows: list[dict[str, Any]], unit: str,
            exported_on: date) -> dict[str, Any]:
    """The conclusion and each finding with its remediation, as the record stands."""
    notes: dict[int, list[str]] = {}
    for row in rows:
        if (row["unit"] == unit and row["event"] == "RemediationReported"
                and not row.get("retracted_by")):
            d = row["details"]
            said = "; ".join([*([d["note"]] if d.get("note") else []),
                              *(f"tệp {f['name']}" for f in d.get("attachments") or [])])
            for number in d["findings"]:
                notes.setdefault(int(number), []).append(
                    f"{said} (vị trí {row['seq']})" if said else f"vị trí {row['seq']}")
    findings = []
    for f in record["findings"]:
        remediated = f.get("remediated_on")
        findings.append({
            "number": f["number"], "text": f["text"], "remediate_by": dmy(f["remediate_by"]),
            "remediated_on": dmy(remediated) if remediated else None,
            "late": bool(f.get("late")),
            "overdue": not remediated and f["remediate_by"] < exported_on,
            "notes": notes.get(int(f["number"]), [])})
    return {
        "state": state_label(record["state"]), "on_site": dmy(record["on_site"]),
        "surprise": record["surprise"], "report_waived": record["report_waived"],
        "concluded_on": dmy(record["concluded_on"]) if record["concluded_on"] else None,
        "conclusion_due": dmy(record["conclusion_due"]) if record["conclusion_due"] else None,
        "conclusion_late": record["conclusion_late"],
        "cancelled_on": dmy(record["cancelled_on"]) if record["cancelled_on"] else None,
        "cancel_reason": record["cancel_reason"], "findings": findings,
        "open": sum(1 for f in findings if not f["remediated_on"]),
    }


def _documents(documents: Sequence[Mapping[str, Any]], campaign: Any,
               names: Mapping[str, str]) -> list[dict[str, Any]]:
    void = {(d["symbol"], d["issued_on"].isoformat()) for d in campaign.documents
            if d.get("void")}
    return [{
        "symbol": d["symbol"], "kind": KINDS[Kind(d["kind"])].vi,
        "unit": f"{names.get(d['unit'], d['unit'])} ({d['unit']})" if d["unit"]
        else "Toàn kế hoạch",
        "issued_on": dmy(d["issued_on"]), "replaces": d["replaces"], "name": d["name"],
        "sha256": d["sha256"], "position": d["position"],
        "void": (d["symbol"], d["issued_on"]) in void,
    } for d in documents]


def _attachments(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every file the events refer to, once, in the order first referred to: its names,
    size, SHA-256 and the positions of the events naming it."""
    found: dict[str, dict[str, Any]] = {}
    for row in rows:
        for f in row["attachments"]:
            size = f.get("size")
            item = found.setdefault(f["sha256"], {
                "sha256": f["sha256"], "names": [], "positions": [],
                "size": "—" if size is None else f"{format_number(int(size), 'vi')} byte"})
            if f["name"] not in item["names"]:
                item["names"].append(f["name"])
            item["positions"].append(row["seq"])
    return list(found.values())


__all__ = ["page_facts", "review_page"]
