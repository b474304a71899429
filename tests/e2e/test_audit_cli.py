"""The audit trail, its verification, bundles, attachments and roles through the installed
`kiemtra` script, as a reviewer and the team would use them — on SQLite and on the real
PostgreSQL server alike (the `database` fixture), the tampering included."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

from kiemtra.workflow.database import Database
from tests.e2e.conftest import CODE, Run, ok
from tests.forge import Parts, rewrite
from tests.tamper import tamper


def walk_hcc(run: Run, tmp_path: Path) -> str:
    """Notify, report with a file (by the unit itself), inspect, minutes; the file's SHA-256."""
    ok(run("notify", CODE, "hcc", "--on-site", "17/08/2026", "--date", "05/08/2026",
           actor="thuong-truc"))
    (tmp_path / "bao-cao.txt").write_text("Báo cáo của Trung tâm\n", "utf-8")
    ok(run("report", CODE, "hcc", "--date", "13/08/2026", "--attach", "bao-cao.txt", actor="hcc"))
    ok(run("inspect", CODE, "hcc", "--date", "17/08/2026", actor="pho-to"))
    ok(run("minutes", CODE, "hcc", "--date", "17/08/2026", actor="tv-hcc"))
    rows = ok(run("audit", CODE, "--event", "report", "--format", "json")).json()
    return str(rows[0]["attachments"][0]["sha256"])


def test_the_trail_in_three_formats(audited: Run, database: Database, tmp_path: Path) -> None:
    walk_hcc(audited, tmp_path)
    rows = ok(audited("audit", CODE, "--format", "json")).json()
    assert [r["seq"] for r in rows] == sorted(r["seq"] for r in rows)
    for key in ("seq", "recorded_at", "actor", "campaign", "unit", "event", "effective_date",
                "details"):
        assert all(key in r for r in rows)
    report = next(r for r in rows if r["event"] == "ReportSubmitted")
    assert report["actor"] == "hcc" and report["actor_role"] == "unit"
    assert report["back_dated"] is True  # 13/08/2026 recorded later
    assert report["attachments"][0]["name"] == "bao-cao.txt"

    raw = ok(audited("audit", CODE, "--format", "csv")).out.encode("utf-8")
    assert raw.startswith("\ufeff".encode())
    table = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(table) == len(rows) and table[0]["Vị trí"] == str(rows[0]["seq"])
    assert "Đúng hạn" in next(t["Nội dung"] for t in table if t["Bước"] == "Nộp báo cáo")

    shown = ok(audited("audit", CODE)).out
    assert "Nhật ký ghi nhận" in shown and "ghi lùi ngày" in shown
    assert "Tổ phó" in shown and "Trần Thị B (pho-to)" in shown
    assert (f"bao-cao.txt (27 byte)\n      SHA-256 {report['attachments'][0]['sha256']}"
            in shown)


def test_the_filters(audited: Run, database: Database, tmp_path: Path) -> None:
    walk_hcc(audited, tmp_path)
    by_actor = ok(audited("audit", "--actor", "tv-hcc", "--format", "json")).json()
    assert [r["event"] for r in by_actor] == ["MinutesSigned"]
    unit = ok(audited("audit", CODE, "--unit", "hcc", "--format", "json")).json()
    assert {r["unit"] for r in unit} == {"hcc"} and len(unit) == 5
    assert ok(audited("audit", "--event", "NoticeIssued", "--json")).json()[0]["unit"] == "hcc"
    assert ok(audited("audit", "--since", "01/01/2099", "--json")).json() == []
    assert len(ok(audited("audit", "--until", "01/01/2099", "--json")).json()) > 5
    refused = audited("audit", "--event", "party")
    assert refused.code == 2 and "party" in refused.err
    assert audited("audit", "NO-SUCH").code == 2


def test_roles_refused_through_the_cli(imported: Run) -> None:
    before = len(ok(imported("audit", "--json")).json())
    refused = imported("notify", CODE, "vp", "--on-site", "10/08/2026", "--date", "03/08/2026",
                       actor="tv-vp")
    assert refused.code == 1
    assert "Tổ trưởng, Tổ phó, Cơ quan thường trực" in refused.err and "tv-vp" in refused.err
    stranger = imported("notify", CODE, "vp", "--on-site", "10/08/2026", "--date", "03/08/2026",
                        actor="root")
    assert stranger.code == 2 and "KIEMTRA_ACTOR" in stranger.err
    other_unit = imported("cancel", CODE, "vp", "--reason", "x", actor="kt")
    assert other_unit.code == 1
    assert len(ok(imported("audit", "--json")).json()) == before


def test_verify_checkpoint_and_a_tampered_database(audited: Run, database: Database,
                                                   tmp_path: Path) -> None:
    walk_hcc(audited, tmp_path)
    verified = ok(audited("audit", "verify", "--json")).json()
    assert verified["ok"] and verified["events"] == verified["head"] > 5
    ok(audited("audit", "checkpoint", "-o", "cp.json"))
    key_file = tmp_path / "config" / "kiemtra" / "audit-signing.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "cp.json.minisig").read_text().startswith("untrusted comment: ")
    assert "khớp" not in ok(audited("audit", "verify", "--checkpoint", "cp.json")).err
    with tamper(database) as conn:
        state = conn.execute("SELECT state FROM stored_events WHERE rowid = 8").fetchone()[0]
        conn.execute("UPDATE stored_events SET state = ? WHERE rowid = 8",
                     (bytes(state).replace(b"2026", b"2025", 1),))
    altered = audited("audit", "verify")
    assert altered.code == 1 and "vị trí 8" in altered.err
    assert audited("--lang", "en", "audit", "verify").err.count("position 8") == 1
    bad = tmp_path / "bad.json"
    bad.write_text("{}", "utf-8")
    assert audited("audit", "verify", "--checkpoint", "bad.json").code == 2


def test_an_exported_bundle_verifies_elsewhere(audited: Run, database: Database,
                                               tmp_path: Path) -> None:
    """The reviewer's machine has the bundle and the commune's public key, no secret."""
    walk_hcc(audited, tmp_path)
    ok(audited("audit", "export", CODE, "-o", "ho-so.zip"))
    ok(audited("audit", "key", "show", "-o", "khoa-cong-khai.pub"))
    elsewhere = tmp_path / "may-khac"
    elsewhere.mkdir()
    bundle = elsewhere / "ho-so.zip"
    bundle.write_bytes((tmp_path / "ho-so.zip").read_bytes())
    (elsewhere / "xa.pub").write_bytes((tmp_path / "khoa-cong-khai.pub").read_bytes())
    reviewer = {"XDG_CONFIG_HOME": str(elsewhere / "config")}
    found = ok(audited("audit", "verify", "--bundle", str(bundle), "--public-key",
                        str(elsewhere / "xa.pub"), "--json", env=reviewer)).json()
    assert found["signature_checked"] and found["attachments"] == 1
    assert not (elsewhere / "kiemtra.db").exists() and not (elsewhere / "config").exists()
    no_key = audited("audit", "verify", "--bundle", str(bundle), env=reviewer)
    assert no_key.code == 2 and "--public-key" in no_key.err and "--no-signature" in no_key.err
    unsigned = ok(audited("audit", "verify", "--bundle", str(bundle), "--no-signature",
                           env=reviewer))
    assert "CHƯA kiểm tra chữ ký" in unsigned.out
    ok(audited("audit", "key", "init", env=reviewer))  # another commune's key pair
    ok(audited("audit", "key", "show", "-o", str(elsewhere / "khac.pub"), env=reviewer))
    other_key = audited("audit", "verify", "--bundle", str(bundle), "--public-key",
                         str(elsewhere / "khac.pub"))
    assert other_key.code == 2 and "khac.pub" in other_key.err

    position = json.loads(zipfile.ZipFile(bundle).read("events.jsonl").splitlines()[3])[
        "position"]

    def redate(parts: Parts) -> None:
        lines = parts["events.jsonl"].decode().splitlines()
        event = json.loads(lines[3])
        event["state"] = event["state"].replace("2026", "2027", 1)
        lines[3] = json.dumps(event, ensure_ascii=False)
        parts["events.jsonl"] = ("\n".join(lines) + "\n").encode()

    rewrite(bundle, redate)  # resealed, as a forger without the key would
    altered = audited("audit", "verify", "--bundle", str(bundle), "--public-key",
                       str(elsewhere / "xa.pub"))
    assert altered.code == 1 and "Chữ ký của điểm kiểm tra của gói" in altered.err  # signed
    inner = audited("audit", "verify", "--bundle", str(bundle), "--no-signature", env=reviewer)
    assert inner.code == 1 and f"vị trí {position}" in inner.err


def test_an_attachment_comes_back_byte_for_byte(audited: Run, database: Database,
                                                tmp_path: Path) -> None:
    sha = walk_hcc(audited, tmp_path)
    ok(audited("attachment", "get", sha, "-o", "lay-lai.txt"))
    assert (tmp_path / "lay-lai.txt").read_bytes() == (tmp_path / "bao-cao.txt").read_bytes()
    assert audited("attachment", "get", "abc", "-o", "x").code == 2
    assert audited("attachment", "get", "0" * 64, "-o", "x").code == 2
    # the first 8 or more digits of a code, as a table shows them, name it when unique
    ok(audited("attachment", "get", sha[:12], "-o", "tien-to.txt"))
    assert (tmp_path / "tien-to.txt").read_bytes() == (tmp_path / "bao-cao.txt").read_bytes()
    short = audited("attachment", "get", sha[:7], "-o", "x")
    assert short.code == 2 and "8 chữ số đầu" in short.err
    none = audited("attachment", "get", "0" * 10, "-o", "x")
    assert none.code == 2 and "0000000000" in none.err and not (tmp_path / "x").exists()
    with tamper(database) as conn:
        conn.execute("UPDATE attachments SET content = ? WHERE sha256 = ?", (b"khac", sha))
    changed = audited("attachment", "get", sha, "-o", "x")
    assert changed.code == 1 and sha in changed.err and not (tmp_path / "x").exists()
    assert audited("audit", "verify").code == 1


def test_a_refused_checkpoint_or_export_leaves_nothing(audited: Run, database: Database,
                                                       tmp_path: Path) -> None:
    key_file = tmp_path / "config" / "kiemtra" / "audit-signing.key"
    assert audited("audit", "export", "NO-SUCH", "-o", "x.zip").code == 2
    with tamper(database) as conn:
        conn.execute("UPDATE stored_events SET state = ? WHERE rowid = 3", (b"{}",))
    refused = audited("audit", "checkpoint", "-o", "cp.json")
    assert refused.code == 1 and "vị trí 3" in refused.err
    assert audited("audit", "export", CODE, "-o", "x.zip").code == 1
    assert not key_file.exists() and not (tmp_path / "cp.json").exists()
    assert not (tmp_path / "cp.json.minisig").exists()
    assert not (tmp_path / "x.zip").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".kiemtra-")] == []
    shown = ok(audited("audit", "--json", "--actor", "nobody")).json()  # shown whatever the filter
    assert [(r["seq"], r["event"]) for r in shown] == [(3, "Unreadable")]
    assert "audit verify" in ok(audited("audit")).out


def test_an_actor_the_plan_does_not_name_creates_no_database(run: Run, tmp_path: Path) -> None:
    (tmp_path / "ke-hoach.toml").write_text(ok(run("plan", "template")).out, "utf-8")
    stranger = run("plan", "import", "ke-hoach.toml", actor="root")
    assert stranger.code == 2 and "root" in stranger.err
    unit = run("plan", "import", "ke-hoach.toml", actor="vp")
    assert unit.code == 1 and "Tổ trưởng" in unit.err
    assert not (tmp_path / "kiemtra.db").exists()


def test_a_dropped_chain_is_made_again_only_on_the_record(audited: Run, database: Database,
                                                          tmp_path: Path) -> None:
    """Dropping the chain table and running a command no longer re-chains the log in
    silence: writes are refused (exit 1) in both languages, nothing is written, verify
    exits 1; `audit rechain --reason` makes it again, and verify names who and why."""
    ok(audited("notify", CODE, "kt", "--on-site", "12/08/2026", "--date", "03/08/2026"))
    with tamper(database) as conn:
        conn.execute("DROP TABLE event_chain")
        count = conn.execute("SELECT COUNT(*) FROM stored_events").fetchone()[0]
    for lang, words in (("vi", "Chuỗi băm của hồ sơ đã bị xóa hoặc cắt bớt từ vị trí 1"),
                        ("en", "The record's hash chain was removed or cut short from "
                               "position 1")):
        done = audited("--lang", lang, "notify", CODE, "vp", "--on-site", "12/08/2026",
                        "--date", "03/08/2026")
        assert done.code == 1 and words in done.err and "audit rechain" in done.err, done.err
        assert audited("--lang", lang, "audit", "verify").code == 1
    with tamper(database) as conn:
        assert conn.execute("SELECT COUNT(*) FROM stored_events").fetchone()[0] == count
    assert audited("audit", "rechain", "--reason", "  ").code == 2  # a reason is required
    made = ok(audited("audit", "rechain", "--reason", "Đã đối chiếu với bản in",
                       actor="truong-to"))
    assert f"các vị trí 1–{count}" in made.out and "truong-to" in made.out
    verified = ok(audited("audit", "verify"))
    assert "đã được nối lại" in verified.err and "“Đã đối chiếu với bản in”" in verified.err
    english = ok(audited("--lang", "en", "--json", "audit", "verify")).json()
    assert english["rechained"][0]["reason"] == "Đã đối chiếu với bản in"
    ok(audited("notify", CODE, "vp", "--on-site", "12/08/2026", "--date", "03/08/2026"))
    again = audited("--lang", "en", "audit", "rechain", "--reason", "x")
    assert again.code == 1 and "nothing to rechain" in again.err
