"""A database written by kiemtra 0.1.0 keeps working: the same output, new steps on top.

The fixture (`tests/fixtures/release-0.1.0/`, see its `generate.py`) is a real 0.1.0
database — module-path topics, views of that release's layout, reminder ledger, stored
scheduler jobs, attachments, a signed checkpoint and an exported bundle — with what every
read command printed then. Each test works on a copy, through the installed script.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import time
import zipfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from kiemtra.domain.metrics import METRICS_EN
from tests.e2e.conftest import kiemtra_script

FIXTURE = Path(__file__).parents[1] / "fixtures" / "release-0.1.0"
DB = "kiemtra-0.1.0.db"
KEY = "kiemtra-release-fixture-0.1.0-audit-key"
INDEX: dict[str, dict[str, Any]] = json.loads((FIXTURE / "outputs" / "index.json").read_text())
JSON_CASES = sorted(k for k in INDEX if k.endswith(".json"))
GENERATED_IN = "/work/main/tests/fixtures/release-0.1.0"  # the outbox path printed then


def copy_fixture(target: Path) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    for name in (DB, "checkpoint.json", "bundle.zip"):
        shutil.copy(FIXTURE / name, target / name)
    return target


def kiemtra(where: Path, *args: str, actor: str = "truong-to") -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("KIEMTRA_")}
    environ.update({"KIEMTRA_ACTOR": actor, "KIEMTRA_AUDIT_KEY": KEY, "COLUMNS": "200",
                    "XDG_CONFIG_HOME": str(where / ".config")})
    return subprocess.run([kiemtra_script(), "--db", DB, *args], cwd=where, env=environ,
                          capture_output=True, text=True, timeout=120)


def expected(case: str, where: Path) -> tuple[str, str]:
    """What 0.1.0 printed, with the folder it ran in replaced by `where`."""
    outputs = FIXTURE / "outputs"
    if case.endswith(".csv"):
        return (outputs / case).read_text("utf-8"), ""
    return tuple((outputs / f"{case}.{part}").read_text("utf-8").replace(  # type: ignore[return-value]
        GENERATED_IN, str(where)) for part in ("out", "err"))


@pytest.fixture(scope="module")
def upgraded(tmp_path_factory: pytest.TempPathFactory
             ) -> tuple[Path, dict[str, subprocess.CompletedProcess[str]]]:
    """Every recorded read command, run again on one copy: the first read brings the 0.1.0
    views to this version's layout, the others read them (two at a time)."""
    where = copy_fixture(tmp_path_factory.mktemp("upgraded"))
    first = sorted(INDEX)[0]
    results = {first: kiemtra(where, *INDEX[first]["args"])}
    with ThreadPoolExecutor(2) as pool:
        later = {case: pool.submit(kiemtra, where, *INDEX[case]["args"])
                 for case in sorted(INDEX)[1:]}
        results.update({case: future.result() for case, future in later.items()})
    return where, results


@pytest.mark.parametrize("case", sorted(INDEX))
def test_every_read_prints_what_0_1_0_printed(
        upgraded: tuple[Path, dict[str, subprocess.CompletedProcess[str]]], case: str) -> None:
    where, results = upgraded
    done = results[case]
    out, err = expected(case, where)
    assert done.returncode == INDEX[case]["exit"], done.stderr
    if case.startswith("remind-dry-run"):
        assert_same_ledger(case, out, done.stdout)
    elif case in ADDED_KEYS:
        assert_same_rows_with_added_keys(case, out, done.stdout)
    elif case.startswith("campaigns@"):
        assert_overdue_counted_as_due_lists(case, out, done.stdout, where)
    elif case.startswith("remind-failed"):
        assert_failures_listed_with_the_refused_recipient(case, out, done.stdout)
    elif case.endswith(".csv"):
        assert_same_trail_csv(out, done.stdout)
    elif case.endswith(".table"):
        # A table's layout is presentation, and changes by design (columns added, widths
        # fitted to the terminal); what 0.1.0 showed in it must all still be shown.
        assert not Counter(words(out)) - Counter(words(done.stdout)), case
    elif case.startswith(VERIFIED_DATABASE) and case.endswith(".json"):
        assert_verified_with_the_chains_per_commune(out, done.stdout)
    else:
        assert done.stdout == out
    assert without_origin_notes(done.stderr) == err


VERIFIED_DATABASE = ("verify.", "verify-checkpoint.")  # `audit verify` of the database
ORIGIN_NOTES = re.compile(r"^(Lưu ý: chuỗi băm riêng của|Note: the chain of) .*\n", re.M)


def without_origin_notes(err: str) -> str:
    """Since issue 16 the database's first opening chains its events per commune too, and
    `audit verify` says so, one note per commune, after what 0.1.0 said."""
    return ORIGIN_NOTES.sub("", err)


def assert_verified_with_the_chains_per_commune(then: str, now: str) -> None:
    """`audit verify --json` reports what 0.1.0 reported, and (issue 16) the fixture's one
    commune's chain: every event of the log, chained after the fact on the upgrade."""
    old, new = json.loads(then), json.loads(now)
    origins = new.pop("origins")
    assert new == old
    assert [(o["origin"], o["events"], o["chained_after_the_fact_through"]) for o in origins
            ] == [("Ủy ban nhân dân xã Khúc Thừa Dụ", old["events"], old["events"])]


ADDED_KEYS_SINCE_0_1_0 = {"calendar_estimated": False, "estimated_years": []}
"""The keys `status` and `due` rows gained since 0.1.0 (issue 14: whether a deadline was
counted over a year whose holidays are not announced), with what they must say for the
fixture's 2026 campaigns."""
ADDED_KEYS = {case for case in JSON_CASES if case.startswith(("status", "due"))}


def assert_overdue_counted_as_due_lists(case: str, then: str, now: str, where: Path) -> None:
    """0.1.0's campaign list counted the inspections whose next step was overdue; since
    0.2 it counts the overdue lines of `due` (a finding's deadline counts, as due shows
    it). Everything else is as 0.1.0 printed it, and the new count is due's."""
    as_of = case.split("@")[1].split(".")[0]
    listed = json.loads(kiemtra(where, "--json", "due", "--all", "--as-of", as_of).stdout)
    counted = Counter(r["campaign"] for r in listed if r["overdue"])
    lang = case.split(".")[1]
    old = json.loads(expected(f"campaigns@{as_of}.{lang}.json", where)[0])
    if case.endswith(".json"):
        assert json.loads(now) == [{**c, "overdue": counted[c["code"]]} for c in old], case
        return
    gone = Counter(words(then)) - Counter(words(now))
    assert not gone - Counter(str(c["overdue"]) for c in old), case  # only the old counts
    assert not Counter(str(counted[c["code"]]) for c in old) - Counter(words(now)), case


REFUSED = ("KTD-DX-2026", "vhxh", "on_site")
"""The fixture's on-site reminder to KTD-DX-2026/vhxh went out while the server refused
one of its recipients (tv.kt, 550); 0.1.0 showed it as simply sent. Since 0.2 a refused
recipient is a failure of its own (issue 15): `status` and `due` mark that reminder
failed and `remind --failed` lists it — the one change their output has on purpose."""
REFUSED_KEY = "KTD-DX-2026/vhxh/on_site/0/2026-09-08/-1"
ADDED_FAILED_KEYS = {"refused": {}, "retry_to": [], "reason": None, "interrupted": False}
"""The keys `remind --failed` rows gained since 0.1.0 (and `claimant`, who claimed it),
with what they say for a reminder 0.1.0 recorded as failed for good."""


def refused_since_0_1_0(case: str, row: dict[str, Any]) -> dict[str, Any]:
    """What a 0.1.0 row says now that a refused recipient counts as a failure."""
    if case.startswith("status") and (row["campaign"], row["unit"]) == REFUSED[:2]:
        return {**row, "reminders_failed": 1}
    if case.startswith("due") and (row["campaign"], row["unit"], row["kind"]) == REFUSED:
        return {**row, "reminder_failed": True}
    return row


def assert_failures_listed_with_the_refused_recipient(case: str, then: str, now: str
                                                      ) -> None:
    """`remind --failed` lists what 0.1.0 listed, with the keys added since (JSON) or the
    same facts in the reader's language (0.1.0's English list was half Vietnamese), and,
    first (its due date is earlier), the reminder one of whose recipients was refused."""
    if case.endswith(".json"):
        old, new = json.loads(then), json.loads(now)
        first, rest = new[0], new[1:]
        assert first["key"] == REFUSED_KEY and first["state"] == "sent", case
        assert first["refused"] == {"tv.kt@khucthuadu.example": "550 5.1.1 mailbox unavailable"}
        assert first["retry_to"] == [] and first["interrupted"] is False, case
        assert len(rest) == len(old), case
        for was, row in zip(old, rest, strict=True):
            assert list(row)[:len(was)] == list(was), case
            assert {k: row[k] for k in was} == was, case
            assert {k: row[k] for k in ADDED_FAILED_KEYS} == ADDED_FAILED_KEYS, case
            assert set(row) == set(was) | set(ADDED_FAILED_KEYS) | {"claimant"}, case
        assert now.count("\n") == then.count("\n"), case
        return
    lines = now.splitlines()
    for line in then.splitlines():  # "KTD-DX-2026/vp biên bản (hạn 10/09/2026): …, 1 lần — 554 …"
        unit, due, error = line.split()[0], line.split("(hạn ")[1].split(")")[0], \
            line.split(" — ")[1]
        state = "failed for good" if ".en." in case else "lỗi, không gửi lại"
        assert any(n.startswith(unit + " ") and due in n and state in n and
                   n.endswith(f" — {error}") for n in lines), (case, line)
    assert any(n.startswith("KTD-DX-2026/vhxh ") for n in lines), case
    assert "    ✗ tv.kt@khucthuadu.example: 550 5.1.1 mailbox unavailable" in now, case


def assert_same_rows_with_added_keys(case: str, then: str, now: str) -> None:
    """Every row exactly as 0.1.0 printed it, plus the added keys with their values; and
    still one compact line (a pipe), the old keys in their order."""
    old, new = json.loads(then), json.loads(now)
    assert len(new) == len(old), case
    for was, row in zip(old, new, strict=True):
        was = refused_since_0_1_0(case, was)
        assert [k for k in row if k not in ADDED_KEYS_SINCE_0_1_0] == list(was), case
        assert {k: v for k, v in row.items() if k not in ADDED_KEYS_SINCE_0_1_0} == was, case
        assert {k: row[k] for k in ADDED_KEYS_SINCE_0_1_0} == ADDED_KEYS_SINCE_0_1_0, case
    assert now.count("\n") == then.count("\n"), case


def assert_same_ledger(case: str, then: str, now: str) -> None:
    """`remind --dry-run` reads the ledger (what failed, what was sent) the same; what it
    would send today follows this release's rules — no reminder after its day, a missed
    step raised once instead (issue 14) — so the 0.1.0 fixture's stale 'already sent'
    on-site and notice reminders are no longer due."""
    if case.endswith(".json"):
        old, new = json.loads(then), json.loads(now)
        assert (new["sent"], new["failed"]) == (old["sent"], old["failed"]), case
        assert {r["stage"] for r in new["would_send"]} <= {"missed"}, case
    else:
        failed = [line for line in then.splitlines() if line.lstrip().startswith("✗")]
        assert failed and all(line in now.splitlines() for line in failed), case


def assert_same_trail_csv(then: str, now: str) -> None:
    """The audit CSV is for people since issue 14 (Vietnamese headings, a row number, Vietnam
    time to the second, words instead of codes; machines read `--format json`): each row
    of 0.1.0's CSV is still there, in the same order, saying the same in those words."""
    import csv
    import io
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from kiemtra.domain.vocabulary import role_label, step_label

    assert then.startswith("\ufeff") and now.startswith("\ufeff")  # Excel reads it right
    old = list(csv.DictReader(io.StringIO(then.lstrip("\ufeff"))))
    new = list(csv.DictReader(io.StringIO(now.lstrip("\ufeff"))))
    assert len(new) == len(old)
    for n, (o, r) in enumerate(zip(old, new, strict=True), start=1):
        recorded = datetime.fromisoformat(o["recorded_at"]).astimezone(
            ZoneInfo("Asia/Ho_Chi_Minh"))
        effective = datetime.strptime(o["effective_date"], "%Y-%m-%d")
        assert r == {
            "STT": str(n), "Vị trí": o["seq"],
            "Ngày thực hiện": effective.strftime("%d/%m/%Y"),
            "Ghi lùi ngày": "Có" if o["back_dated"] == "1" else "Không",
            "Thời điểm ghi (giờ VN)": recorded.strftime("%d/%m/%Y %H:%M:%S"),
            "Người thực hiện": f"{o['actor_name']} ({o['actor']})" if o["actor_name"]
            else o["actor"],
            "Vai trò": role_label(o["actor_role"]) if o["actor_role"] else "-",
            "Kế hoạch/Đơn vị": "/".join(x for x in (o["campaign"], o["unit"]) if x),
            "Bước": step_label(o["step"]), "Nội dung": o["description"],
            "Tệp đính kèm (tên, mã SHA-256)": o["attachments"].replace("; ", "\n"),
        }, (n, o)


RENAMED = {"Hồ sơ kiểm toán": "Nhật ký ghi nhận", "Ngày hiệu lực": "Ngày thực hiện",
           "ngày hiệu lực trước": "ngày thực hiện trước", "STT": "Vị trí", "Seq": "Position",
           "1 checkpoints": "1 checkpoint",  # English counts agree since issue 16
           # English tables named report figures by their ids until 0.2, by name since
           **dict(sorted(METRICS_EN.items(), key=lambda item: -len(item[0])))}
"""Labels renamed since 0.1.0 to the words officials use ("kiểm toán" is the State
Audit's; the effective date is the day a step was carried out; an entry's place in the
log is its "vị trí", as `audit verify` says, since "STT" numbers the rows of a list —
the audit's spreadsheet files have both, issue 14)."""


def words(table: str) -> list[str]:
    """The words and numbers of a drawn table, without its lines and punctuation; "0/0"
    findings before a conclusion are shown as "—" since 0.2 (there is nothing to count)."""
    for old, new in RENAMED.items():
        table = table.replace(old, new)
    text = re.sub(r"[\u2500-\u257f]", " ", table)
    return [w for w in re.findall(r"[\w./:%+@-]*\w[\w./:%+@-]*", text) if w != "0/0"]


def test_a_rebuild_of_the_old_log_gives_the_same_views(tmp_path: Path) -> None:
    where = copy_fixture(tmp_path)
    assert kiemtra(where, "projections", "rebuild").returncode == 0
    for case in JSON_CASES:
        done = kiemtra(where, *INDEX[case]["args"])
        want = (INDEX[case]["exit"], expected(case, where)[0])
        if case.startswith("remind-dry-run"):
            assert done.returncode == want[0], case
            assert_same_ledger(case, want[1], done.stdout)
        elif case in ADDED_KEYS:
            assert done.returncode == want[0], case
            assert_same_rows_with_added_keys(case, want[1], done.stdout)
        elif case.startswith("campaigns@"):
            assert done.returncode == want[0], case
            assert_overdue_counted_as_due_lists(case, want[1], done.stdout, where)
        elif case.startswith("remind-failed"):
            assert done.returncode == want[0], case
            assert_failures_listed_with_the_refused_recipient(case, want[1], done.stdout)
        elif case.startswith(VERIFIED_DATABASE):
            assert done.returncode == want[0], case
            assert_verified_with_the_chains_per_commune(want[1], done.stdout)
        else:
            assert (done.returncode, done.stdout) == want, case


def stored(where: Path) -> list[tuple[int, str, int, str]]:
    with sqlite3.connect(where / DB) as conn:
        return conn.execute("SELECT rowid, originator_id, originator_version, topic "
                            "FROM stored_events ORDER BY rowid").fetchall()


def test_new_steps_append_to_the_old_streams_and_the_chain(tmp_path: Path) -> None:
    where = copy_fixture(tmp_path)
    before = stored(where)
    steps = [
        (["remediate", "KTD-TKT-2026", "vhxh", "--finding", "2", "--date", "2026-10-20",
          "--note", "Đã bổ sung hồ sơ lưu trữ"], "thuong-truc"),
        (["minutes", "KTD-DX-2026", "vp", "--date", "2026-10-20"], "truong-to"),
        (["inspect", "KTD-DX-2026", "vhxh", "--date", "2026-09-08"], "truong-to"),
        (["notify", "KTD-DX-2026", "hcc", "--on-site", "2026-09-29", "--date", "2026-09-15"],
         "thuong-truc"),
        (["remind", "--as-of", "2026-10-26"], "truong-to"),
    ]
    for args, actor in steps:
        done = kiemtra(where, *args, actor=actor)
        assert done.returncode == 0, (args, done.stderr)
    after = stored(where)
    assert after[:len(before)] == before  # nothing old rewritten
    new = after[len(before):]
    assert {topic for _, _, _, topic in new} >= {
        "kiemtra:Inspection.RemediationReported", "kiemtra:Inspection.MinutesSigned",
        "kiemtra:Inspection.Inspected", "kiemtra:Inspection.NoticeIssued"}
    assert all(topic.startswith("kiemtra:") for _, _, _, topic in new)
    last_version = {oid: version for _, oid, version, _ in before}
    for _, oid, version, _ in new:  # old streams continue at their next version
        if oid in last_version:
            assert version == last_version[oid] + 1
            last_version[oid] = version
    status = {(r["campaign"], r["unit"]): r for r in json.loads(
        kiemtra(where, "--json", "status", "--as-of", "2026-10-26").stdout)}
    assert status["KTD-TKT-2026", "vhxh"]["state"] == "remediated"
    assert status["KTD-DX-2026", "vp"]["state"] == "minuted"
    assert status["KTD-DX-2026", "hcc"]["on_site"] == "2026-09-29"
    trail = json.loads(kiemtra(where, "audit", "KTD-TKT-2026", "--unit", "vhxh",
                               "--format", "json").stdout)
    assert trail[-1]["event"] == "RemediationReported" and trail[-1]["actor"] == "thuong-truc"
    verified = kiemtra(where, "--json", "audit", "verify", "--checkpoint", "checkpoint.json")
    assert verified.returncode == 0, verified.stderr
    assert json.loads(verified.stdout)["events"] == len(after)
    assert kiemtra(where, "audit", "verify", "--bundle", "bundle.zip").returncode == 0
    exported = kiemtra(where, "audit", "export", "KTD-TKT-2026", "-o", "new-bundle.zip")
    assert exported.returncode == 0, exported.stderr
    assert kiemtra(where, "audit", "verify", "--bundle", "new-bundle.zip").returncode == 0
    with zipfile.ZipFile(where / "new-bundle.zip") as z:  # its page reads 0.1's events
        page = z.read("index.html").decode("utf-8")
        positions = [json.loads(line)["position"] for line in z.read("events.jsonl").splitlines()]
    assert all(f"#{p}</td>" in page for p in positions), positions  # old and new alike
    assert "Đã bổ sung hồ sơ lưu trữ" in page and "Thông báo kết luận" in page


def test_the_old_scheduler_jobs_survive_the_upgrade(tmp_path: Path) -> None:
    """0.1.0 stored its jobs by the function's old module path; the scheduler must keep them
    (and their next run times), not drop them as unrestorable."""
    import pickle

    where = copy_fixture(tmp_path)

    def jobs() -> dict[str, tuple[float, str]]:
        with sqlite3.connect(where / DB) as conn:
            return {job_id: (when, pickle.loads(state)["func"]) for job_id, when, state in
                    conn.execute("SELECT id, next_run_time, job_state FROM scheduler_jobs")}

    before = jobs()
    environ = {k: v for k, v in os.environ.items() if not k.startswith("KIEMTRA_")}
    environ.update({"KIEMTRA_ACTOR": "truong-to", "XDG_CONFIG_HOME": str(where / ".config")})
    proc = subprocess.Popen([kiemtra_script(), "--db", DB, "scheduler", "--at", "07:30"],
                            cwd=where, env=environ, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert "07:30" in proc.stdout.readline()
    time.sleep(2)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "Unable to restore" not in err and "Traceback" not in err
    after = jobs()
    assert set(after) == set(before) == {"tick-0730", "retry-60m"}
    assert {func for _, func in after.values()} == {
        "kiemtra.notifications.scheduler:scheduled_tick"}
    assert after["tick-0730"][0] >= before["tick-0730"][0]  # not dropped and re-added later


def test_a_plan_imported_by_0_1_0_issues_documents_with_the_defaults(tmp_path: Path) -> None:
    """A 0.1.0 plan has no [documents] table: the documents take the defaults."""
    from docx import Document

    where = copy_fixture(tmp_path)
    done = kiemtra(where, "--json", "document", "conclusion", "KTD-TKT-2026", "hcc")
    assert done.returncode == 0, done.stderr
    made = json.loads(done.stdout)
    assert made["symbol"] == "01/TB-TKT"
    text = "\n".join(p.text for t in Document(made["path"]).tables for r in t.rows
                     for c in r.cells for p in c.paragraphs)
    assert "TỔ KIỂM TRA" in text and "TM. TỔ KIỂM TRA" in text and "TỔ TRƯỞNG" in text
    assert "- Lưu: VT." in text  # the default filing mark
    done = kiemtra(where, "--json", "document", "results", "KTD-TKT-2026", "--date",
                   "2026-10-20", actor="thuong-truc")
    assert done.returncode == 0, done.stderr
    text = "\n".join(p.text for t in Document(json.loads(done.stdout)["path"]).tables
                     for r in t.rows for c in r.cells for p in c.paragraphs)
    assert "KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH\n" in text and "……" in text  # signer's name blank
    assert kiemtra(where, "audit", "verify", "--checkpoint", "checkpoint.json").returncode == 0


def test_files_stored_whole_by_0_1_0_read_beside_files_stored_in_pieces(
        tmp_path: Path) -> None:
    """0.1.0 kept each attachment whole in one row; since 0.2 new ones are kept in pieces.
    Both are handed back byte for byte and checked by `audit verify`, and an old file
    attached again is not stored a second time."""
    where = copy_fixture(tmp_path)
    with sqlite3.connect(where / DB) as conn:
        old = {sha: bytes(content) for sha, content in
               conn.execute("SELECT sha256, content FROM attachments")}
    assert old and all(old.values())
    (where / "bo-sung.txt").write_bytes("Hồ sơ bổ sung. ".encode() * 100_000)  # 1.7 MB
    old_name, old_bytes = next(iter(old.items()))
    (where / "lai.txt").write_bytes(old_bytes)
    done = kiemtra(where, "remediate", "KTD-TKT-2026", "vhxh", "--finding", "2", "--date",
                   "2026-10-20", "--attach", "bo-sung.txt", "--attach", "lai.txt",
                   actor="thuong-truc")
    assert done.returncode == 0, done.stderr
    new = hashlib.sha256((where / "bo-sung.txt").read_bytes()).hexdigest()
    for sha, content in [*old.items(), (new, (where / "bo-sung.txt").read_bytes())]:
        got = kiemtra(where, "attachment", "get", sha, "-o", f"{sha[:8]}.bin")
        assert got.returncode == 0, got.stderr
        assert (where / f"{sha[:8]}.bin").read_bytes() == content
    with sqlite3.connect(where / DB) as conn:
        rows = dict(conn.execute("SELECT sha256, length(content) FROM attachments"))
        pieces = conn.execute("SELECT COUNT(*) FROM attachment_chunks WHERE sha256 = ?",
                              (new,)).fetchone()[0]
    assert rows == {**{sha: len(c) for sha, c in old.items()}, new: 0} and pieces == 2
    assert rows[old_name] == len(old_bytes)  # the old row is the old row
    verified = kiemtra(where, "--json", "audit", "verify")
    assert verified.returncode == 0, verified.stderr
    assert json.loads(verified.stdout)["attachments"] == len(old) + 1
