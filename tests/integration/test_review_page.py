"""The review page of a bundle (index.html), made by a real export of a real database and
read back with the standard library's HTML parser: what a reviewer sees, escaped, dated and
ordered as recorded, with each correction beside the step it corrects; listed in the signed
manifest, made again from the bundle's own data alone; bundles without it still verify."""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from dataclasses import replace
from datetime import date, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from kiemtra.domain.corrections import Change
from kiemtra.domain.documents import Kind
from kiemtra.projections.audit.bundle import export_bundle, verify_bundle
from kiemtra.projections.audit.checkpoint import Keys, checkpoint_text, read_checkpoint
from kiemtra.projections.audit.errors import BundleAltered
from kiemtra.projections.audit.minisign import SecretKey
from kiemtra.projections.audit.review_page import review_page
from kiemtra.workflow.documents import issue
from kiemtra.workflow.services import Workflow
from kiemtra.workflow.store import EventStore
from tests.conftest import CODE, LEADER, plan_text

SIGNER = SecretKey.from_seed(bytes(range(32)))
KEYS = Keys(public=SIGNER.public, source="khoa-cong-khai.pub")
NOW = datetime.fromisoformat("2026-11-22T09:05:00+07:00")
HOSTILE = "<script>alert('x')</script> & “Quầy” <b>một cửa</b>"


class Page(HTMLParser):
    """The page as tags and the text of each table row (cells joined by ' | ')."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.rows: list[tuple[str, str]] = []  # (the row's class, its text)
        self.text: list[str] = []
        self._row: list[str] | None = None
        self._row_class = ""
        self._cell: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "br":
            self.handle_data(" ")
        elif tag == "tr":
            self._row, self._row_class = [], dict(attrs).get("class") or ""
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
        elif tag == "tr" and self._row is not None:
            self.rows.append((self._row_class, " | ".join(self._row)))
            self._row = None

    def handle_data(self, data: str) -> None:
        self._cell.append(data)
        self.text.append(data)


@pytest.fixture
def bundle(store: EventStore, campaign: str, tmp_path: Path) -> Path:
    """Phòng Kinh tế walked to its remediation: a report with a file, a finding whose
    text is hostile HTML, two corrections (the report's date corrected last of all), a
    document issued; then the bundle."""
    (tmp_path / "bao-cao.txt").write_text("Báo cáo của Phòng Kinh tế\n", "utf-8")
    leader, secretariat = Workflow(store, LEADER), Workflow(store, "thuong-truc")
    secretariat.notify(CODE, "kt", on_site=date(2026, 8, 12), day=date(2026, 8, 3))
    Workflow(store, "kt").report(CODE, "kt", day=date(2026, 8, 11),
                                 attach=[str(tmp_path / "bao-cao.txt")])
    leader.inspect(CODE, "kt", day=date(2026, 8, 12))
    leader.minutes(CODE, "kt", day=date(2026, 8, 12))
    leader.conclude(CODE, "kt", day=date(2026, 8, 21),
                    findings=["Chưa niêm yết TTHC", HOSTILE])
    leader.correct(CODE, "kt", step="conclude", reason="Sai chính tả", day=date(2026, 8, 24),
                   change=Change(finding=1, text="Chưa niêm yết đầy đủ TTHC"))
    secretariat.remediate(CODE, "kt", findings=[1], day=date(2026, 9, 15), note="Đã niêm yết")
    Workflow(store, "kt").correct(CODE, "kt", step="report", reason="Văn thư nhận ngày 10/08",
                                  day=date(2026, 9, 16), change=Change(day=date(2026, 8, 10)))
    issue(store, "thuong-truc", CODE, Kind.SCHEDULE, "kt", issued_on=date(2026, 8, 3),
          earliest=date(2026, 8, 3), facts_through=store.head_position(),
          render=lambda number, symbol: (f"thong-bao-{number}.docx", symbol.encode() + b"\n"))
    out = tmp_path / "ho-so.zip"
    export_bundle(Path(str(store.env.get("SQLITE_DBNAME"))), CODE, out, SIGNER, NOW)
    return out


def page_of(bundle: Path) -> tuple[bytes, Page]:
    with zipfile.ZipFile(bundle) as z:
        html = z.read("index.html")
    parsed = Page()
    parsed.feed(html.decode("utf-8"))
    return html, parsed


def test_the_page_is_an_entry_of_the_signed_manifest(bundle: Path) -> None:
    html, _ = page_of(bundle)
    with zipfile.ZipFile(bundle) as z:
        manifest = json.loads(z.read("manifest.json"))
    assert manifest["entries"]["index.html"] == {"sha256": hashlib.sha256(html).hexdigest(),
                                                 "size": len(html)}
    assert verify_bundle(bundle, KEYS).signed_by == SIGNER.public.fingerprint


def test_the_page_is_static_vietnamese_and_escapes_what_was_recorded(bundle: Path) -> None:
    html, page = page_of(bundle)
    tags = {tag for tag, _ in page.tags}
    assert b"<script" not in html.lower() and "script" not in tags
    assert not tags & {"link", "img", "iframe", "object", "embed", "form", "base"}
    assert not [a for _, attrs in page.tags for a in attrs if a in ("src", "href")
                or a.startswith("on")]  # nothing fetched, no handler
    assert ("html", {"lang": "vi"}) in page.tags and ("meta", {"charset": "utf-8"}) in page.tags
    assert b"default-src 'none'" in html  # the browser itself loads nothing else
    assert b"@media print" in html and b"size: A4" in html
    text = "".join(page.text)
    assert HOSTILE in text  # shown as recorded, as text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; “Quầy” &lt;b&gt;" in html.decode()
    assert "ỦY BAN NHÂN DÂN XÃ KHÚC THỪA DỤ" in text and "Cách kiểm tra hồ sơ này" in text
    assert "kiemtra audit verify --bundle HO-SO.zip --public-key KHOA.pub" in text
    assert "minisign -Vm checkpoint.json -p KHOA.pub" in text and "sha256sum" in text


def test_the_timeline_is_dated_in_order_with_each_correction_under_its_step(
        bundle: Path) -> None:
    _, page = page_of(bundle)
    tables: list[list[tuple[str, list[str]]]] = []  # each timeline: (row class, cells)
    for klass, row in page.rows:
        if row.startswith("Vị trí | Ngày thực hiện | Thời điểm ghi"):
            tables.append([])
        elif row.startswith(("#", "↳ #")) and tables:
            tables[-1].append((klass, row.split(" | ")))
    for table in tables:  # the steps in recording order, each change under its step
        steps = [int(cells[0][1:]) for klass, cells in table if klass != "change"]
        assert steps == sorted(steps)
    kt = next(t for t in tables if any(c[4] == "Nộp báo cáo" for _, c in t))
    steps = [cells[4] for _, cells in kt]
    assert steps == ["Lập lịch dự kiến", "Thông báo lịch kiểm tra", "Nộp báo cáo",
                     "Sửa bước đã ghi", "Kiểm tra trực tiếp", "Ký biên bản kiểm tra",
                     "Thông báo kết luận", "Sửa bước đã ghi", "Báo cáo khắc phục",
                     "Ban hành văn bản"], steps
    seq = [int(cells[0].removeprefix("↳ ").removeprefix("#")) for _, cells in kt]
    report, conclude = steps.index("Nộp báo cáo"), steps.index("Thông báo kết luận")
    klass, fixed = kt[report + 1]  # recorded last, shown under the report it corrects
    assert klass == "change" and fixed[0] == f"↳ #{seq[report + 1]}"
    assert seq[report + 1] > seq[steps.index("Báo cáo khắc phục")]
    assert f"Sửa bước “Nộp báo cáo” (#{seq[report]}): ngày 11/08/2026 → 10/08/2026" in fixed[5]
    klass, fixed = kt[conclude + 1]
    assert klass == "change" and fixed[1].startswith("24/08/2026")
    assert (f"Sửa bước “Thông báo kết luận” (#{seq[conclude]}): tồn tại 1: nội dung “Chưa "
            "niêm yết TTHC” → “Chưa niêm yết đầy đủ TTHC”; lý do: Sai chính tả") in fixed[5]
    reported = kt[report][1]  # as first recorded, marked corrected
    assert reported[1].startswith("11/08/2026") and "bao-cao.txt" in reported[5]
    assert reported[5].endswith(f"— đã sửa (#{seq[report + 1]})")
    assert re.fullmatch(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}", reported[2]), reported
    assert reported[3] == "Phòng Kinh tế (kt) Đơn vị được kiểm tra", reported
    concluded = kt[conclude][1]
    assert concluded[1].startswith("21/08/2026") and "1. Chưa niêm yết TTHC" in concluded[5]


def test_findings_remediation_documents_and_files(bundle: Path) -> None:
    html, page = page_of(bundle)
    text = " ".join(" ".join(page.text).split())
    findings = [row for _, row in page.rows if row[:2] in ("1 ", "2 ") and "21/09/2026" in row]
    assert findings[0].startswith("1 | Chưa niêm yết đầy đủ TTHC | 21/09/2026 | Đã khắc phục, "
                                  "báo cáo ngày 15/09/2026"), findings
    assert "Đã niêm yết" in findings[0]
    assert findings[1].startswith(f"2 | {HOSTILE} | 21/09/2026 | Chưa khắc phục (đã quá hạn")
    assert "Thông báo kết luận ngày 21/08/2026: 2 tồn tại, hạn chế; còn 1 chưa khắc phục." in text
    with zipfile.ZipFile(bundle) as z:
        manifest = json.loads(z.read("manifest.json"))
    (document,) = manifest["documents"]
    row = next(r for _, r in page.rows if r.startswith("1 | 01/TB-TKT"))
    assert "Thông báo lịch kiểm tra" in row and "Phòng Kinh tế (kt)" in row
    assert "03/08/2026" in row and document["sha256"] in row.replace(" ", "")
    for sha in manifest["attachments"]:  # the report's file and the document's original
        assert sha in "".join(page.text)  # its halves, copied together
    assert "bao-cao.txt" in text and "33 byte" in text


def test_the_page_is_made_again_from_the_bundle_alone(bundle: Path) -> None:
    """A reviewer with the bundle and the commune's public key gets the same bytes."""
    html, _ = page_of(bundle)
    with zipfile.ZipFile(bundle) as z:
        events = {int(e["position"]): e for e in map(json.loads, z.read(
            "events.jsonl").splitlines())}
        manifest = json.loads(z.read("manifest.json"))
        signed = read_checkpoint(z.read("checkpoint.json").decode())
    again = review_page(events, manifest["documents"], manifest["exported_at"],
                        signed.position, signed.hash, KEYS.public.fingerprint)  # type: ignore[union-attr]
    assert again == html


def resigned(path: Path, change: Any) -> None:
    """The bundle as the commune would have signed it with `change` made to its entries
    (a bundle of format 2 from before the page, say): manifest and checkpoint made again."""
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    change(parts)
    manifest = json.loads(parts["manifest.json"])
    manifest["entries"] = {n: {"sha256": hashlib.sha256(d).hexdigest(), "size": len(d)}
                           for n, d in sorted(parts.items()) if n not in (
                               "manifest.json", "checkpoint.json", "checkpoint.json.minisig")}
    parts["manifest.json"] = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
    checkpoint = replace(read_checkpoint(parts["checkpoint.json"].decode()),
                         manifest_sha256=hashlib.sha256(parts["manifest.json"]).hexdigest(),
                         signature="").signed(SIGNER)
    parts["checkpoint.json"] = checkpoint_text(checkpoint).encode()
    parts["checkpoint.json.minisig"] = SIGNER.minisig(parts["checkpoint.json"],
                                                      checkpoint.trusted_comment()).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)


def test_a_bundle_without_a_page_still_verifies(bundle: Path) -> None:
    resigned(bundle, lambda parts: parts.pop("index.html"))
    assert verify_bundle(bundle, KEYS).events > 0


def test_a_changed_page_is_refused_by_name(bundle: Path) -> None:
    with zipfile.ZipFile(bundle) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    parts["index.html"] = parts["index.html"].replace(b"21/09/2026", b"21/12/2026")
    with zipfile.ZipFile(bundle, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    for keys in (KEYS, None):
        with pytest.raises(BundleAltered) as refused:
            verify_bundle(bundle, keys)
        assert refused.value.params == {"kind": "digest", "entry": "index.html"}


def test_a_ward_signs_with_the_key_of_the_ward(store: EventStore, tmp_path: Path) -> None:
    """The page names the local level of the plan's authority (xã, phường, …)."""
    Workflow(store, LEADER).import_plan(plan_text(**{
        "Ủy ban nhân dân xã Khúc Thừa Dụ": "Ủy ban nhân dân phường Ba Đình"}), "p.toml",
        date(2026, 6, 15))
    out = tmp_path / "ho-so.zip"
    export_bundle(Path(str(store.env.get("SQLITE_DBNAME"))), CODE, out, SIGNER, NOW)
    html, page = page_of(out)
    text = "".join(page.text)
    assert "ỦY BAN NHÂN DÂN PHƯỜNG BA ĐÌNH" in text and "khóa của phường" in text
    assert "của xã" not in text
    assert "Thời điểm xuất hồ sơ | 22/11/2026 09:05 (giờ Việt Nam)" in [r for _, r in page.rows]
