"""Tamper evidence on a real database: each kind of alteration is caught at its position.

The database is the demo's (28 events, two attachments), on SQLite and on the real
PostgreSQL server alike (every test runs on both), altered with plain SQL as someone with
access to it would (`tests/tamper.py`); `verify_database` must name the first altered
position, and never crash on what it finds.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from kiemtra.domain.chain import GENESIS, event_link, origin_genesis
from kiemtra.projections.audit.bundle import export_bundle, verify_bundle
from kiemtra.projections.audit.checkpoint import Checkpoint, Keys, key_id
from kiemtra.projections.audit.errors import (
    BundleAltered,
    InvalidCheckpoint,
    KeyMismatch,
    LogAltered,
    OtherSigner,
    SignatureInvalid,
)
from kiemtra.projections.audit.minisign import SecretKey
from kiemtra.projections.audit.verify import make_checkpoint, verify_database
from kiemtra.workflow.database import Database
from kiemtra.workflow.services import Workflow
from kiemtra.workflow.store import open_store
from tests.conftest import plan_text
from tests.forge import Parts, rewrite
from tests.tamper import Tamper, tamper

KEY = b"khoa-kiem-toan-thu-nghiem"  # a shared secret, as release 0.1 signed with
SIGNER = SecretKey.from_seed(bytes(range(32)))  # the commune's key pair
KEYS = Keys(public=SIGNER.public, source="khoa-cong-khai.pub")
NOW = datetime(2026, 11, 22, 9, 0)
COMMUNE = "Ủy ban nhân dân xã Khúc Thừa Dụ"  # the plan template's authority


def sqlite_only(db: Database, why: str) -> None:
    if db.is_postgres:
        pytest.skip(f"SQLite only: {why}")


@pytest.fixture
def sql(demo_db: Database) -> Iterator[Tamper]:
    with tamper(demo_db) as conn:
        yield conn


def altered_at(db: Database, **kwargs: object) -> tuple[int, str]:
    with pytest.raises(LogAltered) as found:
        verify_database(db, **kwargs)  # type: ignore[arg-type]
    assert found.value.exit_code == 1
    if not isinstance(found.value, SignatureInvalid):  # that one names the checkpoint
        assert f"vị trí {found.value.params['position']}" in found.value.message("vi")
    return found.value.params["position"], found.value.params["kind"]


def payload(sql: Tamper, position: int) -> bytes:
    return bytes(sql.execute("SELECT state FROM stored_events WHERE rowid = ?",
                             (position,)).fetchone()[0])


def test_an_untouched_log_verifies(demo_db: Database) -> None:
    found = verify_database(demo_db)
    assert (found.events, found.head, found.attachments) == (28, 28, 2)


def test_the_chain_is_the_documented_formula(demo_db: Database, sql: Tamper) -> None:
    previous = GENESIS
    for position, oid, version, topic, state in sql.execute(
            "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events "
            "ORDER BY rowid"):
        previous = event_link(previous, position, oid, version, topic, state)
        stored = sql.execute("SELECT hash FROM event_chain WHERE position = ?",
                             (position,)).fetchone()[0]
        assert stored == previous


def test_a_flipped_byte_in_a_payload(demo_db: Database, sql: Tamper) -> None:
    state = bytearray(payload(sql, 12))
    state[40] ^= 0x01
    sql.execute("UPDATE stored_events SET state = ? WHERE rowid = 12", (bytes(state),))
    assert altered_at(demo_db) == (12, "changed")


def test_a_date_changed_to_another_valid_date(demo_db: Database, sql: Tamper) -> None:
    position = 25  # hcc inspected on 17/08/2026
    state = payload(sql, position)
    assert b'"2026-08-17"' in state
    sql.execute("UPDATE stored_events SET state = ? WHERE rowid = ?",
                (state.replace(b'"2026-08-17"', b'"2026-08-18"'), position))
    assert altered_at(demo_db) == (position, "changed")


def test_a_payload_that_no_longer_parses(demo_db: Database, sql: Tamper) -> None:
    sql.execute("UPDATE stored_events SET state = ? WHERE rowid = 7", (b"\xff\x00{not json",))
    assert altered_at(demo_db) == (7, "changed")


@pytest.mark.parametrize("with_its_link", [False, True])
def test_a_deleted_middle_event(demo_db: Database, sql: Tamper,
                                with_its_link: bool) -> None:
    sql.execute("DELETE FROM stored_events WHERE rowid = 14")
    if with_its_link:  # in both chains
        sql.execute("DELETE FROM event_chain WHERE position = 14")
        sql.execute("DELETE FROM origin_chain WHERE position = 14")
    if with_its_link and demo_db.is_postgres:  # an unused id looks the same on PostgreSQL
        assert altered_at(demo_db) == (15, "after_gap")
        return
    assert altered_at(demo_db) == (14, "deleted")


def test_two_events_swapped(demo_db: Database, sql: Tamper) -> None:
    rows = {r[0]: r[1:] for r in sql.execute(
        "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events "
        "WHERE rowid IN (9, 16)")}
    sql.execute("BEGIN")
    sql.execute("DELETE FROM stored_events WHERE rowid IN (9, 16)")
    for position, other in ((9, 16), (16, 9)):
        sql.execute("INSERT INTO stored_events (rowid, originator_id, originator_version, topic, "
                    "state) VALUES (?, ?, ?, ?, ?)", (position, *rows[other]))
    sql.execute("COMMIT")
    assert altered_at(demo_db) == (9, "changed")


def test_an_inserted_event(demo_db: Database, sql: Tamper) -> None:
    oid, version, topic, state = sql.execute(
        "SELECT originator_id, originator_version, topic, state FROM stored_events "
        "WHERE rowid = 28").fetchone()
    sql.execute("INSERT INTO stored_events (originator_id, originator_version, topic, state) "
                "VALUES (?, ?, ?, ?)", (oid, version + 1, topic, state))
    assert altered_at(demo_db) == (29, "inserted")


def test_a_changed_attachment(demo_db: Database, sql: Tamper) -> None:
    sha = sql.execute("SELECT sha256 FROM attachments ORDER BY sha256 LIMIT 1").fetchone()[0]
    sql.execute("UPDATE attachments SET content = ? WHERE sha256 = ?", (b"sua noi dung", sha))
    referring = sql.execute("SELECT MIN(rowid) FROM stored_events WHERE instr(state, ?) > 0",
                            (sha.encode(),)).fetchone()[0]
    assert altered_at(demo_db) == (referring, "attachment")


def test_a_removed_attachment(demo_db: Database, sql: Tamper) -> None:
    sha = sql.execute("SELECT sha256 FROM attachments ORDER BY sha256 LIMIT 1").fetchone()[0]
    sql.execute("DELETE FROM attachments WHERE sha256 = ?", (sha,))
    position, kind = altered_at(demo_db)
    assert kind == "attachment_missing" and sha.encode() in payload(sql, position)


def test_a_truncated_tail_needs_a_checkpoint(demo_db: Database, sql: Tamper) -> None:
    checkpoint = make_checkpoint(demo_db, SIGNER, NOW)
    sql.execute("DELETE FROM stored_events WHERE rowid > 25")
    sql.execute("DELETE FROM event_chain WHERE position > 25")
    assert altered_at(demo_db) == (26, "deleted")  # the commune's chain still links them
    sql.execute("DELETE FROM origin_chain WHERE position > 25")
    assert verify_database(demo_db).events == 25  # a chain alone cannot see a cut tail
    assert altered_at(demo_db, checkpoints=[("cp.json", checkpoint)], keys=KEYS) == (
        26, "truncated")
    old = make_checkpoint_at(demo_db, 25)  # release 0.1's, with its shared secret
    assert verify_database(demo_db, [("old", old)], Keys(secret=KEY)).checkpoints == 1


def test_an_old_backup_restored(demo_db: Database, tmp_path: Path) -> None:
    sqlite_only(demo_db, "a copy of the file; on PostgreSQL a restored dump is the same case")
    backup = tmp_path / "backup.db"
    shutil.copy(demo_db.sqlite_path, backup)
    store = open_store(demo_db)  # the work goes on: a second year's plan
    Workflow(store, "truong-to").import_plan(
        plan_text(**{'code = "KTD-TKT-2026"': 'code = "KTD-TKT-2027"'}), "p.toml", NOW.date())
    store.close()
    checkpoint = make_checkpoint(demo_db, SIGNER, NOW)
    assert checkpoint.position == 33
    shutil.copy(backup, demo_db.sqlite_path)  # someone restores last month's copy
    assert verify_database(demo_db).events == 28
    assert altered_at(demo_db, checkpoints=[("cp", checkpoint)], keys=KEYS) == (29, "truncated")


def test_a_consistently_rewritten_chain_is_caught_by_a_checkpoint(
        demo_db: Database, sql: Tamper) -> None:
    checkpoint = make_checkpoint(demo_db, SIGNER, NOW)
    state = payload(sql, 25)
    assert b'"2026-08-17"' in state
    sql.execute("UPDATE stored_events SET state = ? WHERE rowid = 25",
                (state.replace(b'"2026-08-17"', b'"2026-08-18"'),))
    previous = GENESIS  # the forger recomputes every link after the change
    for position, oid, version, topic, data in sql.execute(
            "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events "
            "ORDER BY rowid").fetchall():
        previous = event_link(previous, position, oid, version, topic, data)
        sql.execute("UPDATE event_chain SET hash = ? WHERE position = ?", (previous, position))
    assert altered_at(demo_db) == (25, "changed")  # the commune's chain, not recomputed
    previous = origin_genesis(COMMUNE)  # … until the forger recomputes that one too
    for seq, oid, version, topic, data in sql.execute(
            "SELECT c.seq, e.originator_id, e.originator_version, e.topic, e.state FROM "
            "origin_chain c JOIN stored_events e ON e.rowid = c.position ORDER BY c.seq"
            ).fetchall():
        previous = event_link(previous, seq, oid, version, topic, data)
        sql.execute("UPDATE origin_chain SET hash = ? WHERE seq = ?", (previous, seq))
    assert verify_database(demo_db).events == 28
    assert altered_at(demo_db, checkpoints=[("cp", checkpoint)], keys=KEYS) == (28, "rewritten")


@pytest.mark.parametrize("field", ["position", "hash", "events", "created_at", "origin"])
def test_an_edited_checkpoint_fails_its_signature(demo_db: Database, field: str) -> None:
    checkpoint = make_checkpoint(demo_db, SIGNER, NOW)
    data = checkpoint.to_json()
    data[field] = {"position": 20, "hash": "00" * 32, "events": 20, "origin": "kt",
                   "created_at": "2027-01-01T00:00:00+07:00"}[field]
    edited = Checkpoint.from_json(json.loads(json.dumps(data)))
    assert altered_at(demo_db, checkpoints=[("cp", edited)], keys=KEYS)[1] == "signature"


def test_a_checkpoint_signed_with_another_key(demo_db: Database) -> None:
    forger = SecretKey.from_seed(b"k" * 32)
    checkpoint = make_checkpoint(demo_db, forger, NOW)
    with pytest.raises(OtherSigner) as other_key:  # the wrong key given, or not the commune's
        verify_database(demo_db, checkpoints=[("cp", checkpoint)], keys=KEYS)
    assert other_key.value.exit_code == 2
    assert "khoa-cong-khai.pub" in other_key.value.message("vi")
    claimed = Checkpoint.from_json({**checkpoint.to_json(), "key_id": SIGNER.public.key_id})
    assert altered_at(demo_db, checkpoints=[("cp", claimed)], keys=KEYS)[1] == "signature"
    old = make_checkpoint_at(demo_db, 10)
    with pytest.raises(KeyMismatch) as other_secret:  # release 0.1's: a question of keys too
        verify_database(demo_db, checkpoints=[("cp", old)], keys=Keys(secret=b"other key"))
    assert other_secret.value.exit_code == 2


def test_a_checkpoint_of_another_chain(demo_db: Database) -> None:
    """Per-commune chains are yet to come: a checkpoint/2 must cover the one chain, "*"."""
    from dataclasses import replace

    checkpoint = replace(make_checkpoint(demo_db, SIGNER, NOW), origin="xa-khuc-thua-du")
    with pytest.raises(InvalidCheckpoint) as refused:
        verify_database(demo_db, checkpoints=[("cp", checkpoint.signed(SIGNER))], keys=KEYS)
    assert refused.value.exit_code == 2 and "xa-khuc-thua-du" in refused.value.message("en")


def test_a_removed_chain_is_reported_not_rebuilt(demo_db: Database, sql: Tamper) -> None:
    sql.execute("UPDATE stored_events SET state = replace(state, '2026-08-17', '2026-08-18') "
                "WHERE rowid = 25")
    sql.execute("DROP TABLE event_chain")
    assert altered_at(demo_db) == (1, "chain_missing")
    assert altered_at(demo_db) == (1, "chain_missing")  # verifying changed nothing


def write_one(db: Database) -> None:
    store = open_store(db)
    try:
        Workflow(store, "truong-to").import_plan(
            plan_text(**{'code = "KTD-TKT-2026"': 'code = "KTD-TKT-2027"'}), "p.toml",
            NOW.date())
    finally:
        store.close()


@pytest.mark.parametrize(("damage", "from_position"), [
    ("DROP TABLE event_chain", 1),  # removed
    ("DELETE FROM event_chain", 1),  # emptied
    ("DELETE FROM event_chain WHERE position > 20", 21),  # cut short, the events kept
])
def test_a_removed_chain_blocks_every_write_until_it_is_made_again_on_the_record(
        demo_db: Database, sql: Tamper, damage: str, from_position: int) -> None:
    """A chain that goes missing while the events stay is never extended from the wrong
    place: every write is refused, verify reports it, and `rechain` links only what is
    missing, after checking the links that remain, with who, when and why recorded."""
    from kiemtra.workflow.chain_repair import rechain
    from kiemtra.workflow.errors import ChainBroken, ChainIntact

    sql.execute(damage)
    events = sql.execute("SELECT COUNT(*) FROM stored_events").fetchone()[0]
    with pytest.raises(ChainBroken) as refused:
        write_one(demo_db)
    assert refused.value.exit_code == 1 and refused.value.params["position"] == from_position
    assert sql.execute("SELECT COUNT(*) FROM stored_events").fetchone()[0] == events
    position, kind = altered_at(demo_db)
    assert position in (1, from_position) and kind in ("chain_missing", "inserted")
    done = rechain(demo_db, "truong-to", " Đối chiếu bản in ", NOW)
    assert (done.chained_from, done.chained_through, done.reason) == (
        from_position, 28, "Đối chiếu bản in")
    found = verify_database(demo_db)
    assert found.events == 28 and found.rechained[0]["actor"] == "truong-to"
    assert "truong-to" in (found.note("vi") or "") and "Đối chiếu bản in" in (
        found.note("en") or "")
    write_one(demo_db)  # writes go on, chained after the links made again
    assert verify_database(demo_db).events == 33
    with pytest.raises(ChainIntact):
        rechain(demo_db, "truong-to", "again", NOW)


@pytest.mark.parametrize("damage", [
    "UPDATE stored_events SET state = replace(state, '2026-08-17', '2026-08-18') "
    "WHERE rowid = 25",  # an edited event among the links that remain
    "DELETE FROM event_chain WHERE position = 14",  # a hole, then links again
])
def test_the_chain_is_never_made_again_over_an_edited_event(
        demo_db: Database, sql: Tamper, damage: str) -> None:
    from kiemtra.workflow.chain_repair import rechain
    from kiemtra.workflow.errors import ChainContradicted

    sql.execute(damage)
    sql.execute("DELETE FROM event_chain WHERE position > 26")
    before = sql.execute("SELECT COUNT(*), SUM(length(hash)) FROM event_chain").fetchone()
    with pytest.raises(ChainContradicted) as refused:
        rechain(demo_db, "truong-to", "x", NOW)
    assert refused.value.params["position"] in (25, 14)
    assert sql.execute("SELECT COUNT(*), SUM(length(hash)) FROM event_chain"
                       ).fetchone() == before


@pytest.mark.parametrize(("column", "value"), [
    ("originator_id", "upper(originator_id)"),  # the same UUID, spelled otherwise
    ("originator_id", "substr(originator_id, 1, 8) || '-' || substr(originator_id, 9)"),
    ("originator_version", "'\u0664'"),  # Arabic-Indic 4: text Python's int() reads
    ("originator_version", "-1"),
    ("originator_version", "99999999999999999999"),
    ("state", "CAST(state AS TEXT)"),
])
def test_another_spelling_of_a_stored_value(demo_db: Database, sql: Tamper,
                                            column: str, value: str) -> None:
    sqlite_only(demo_db, "PostgreSQL's column types (uuid, integer, bytea) hold no other "
                "spelling of a value")
    sql.execute(f"UPDATE stored_events SET {column} = {value} WHERE rowid = 15")
    position, kind = altered_at(demo_db)
    assert position == 15 and kind in ("unreadable", "changed")


def test_a_chain_hash_that_is_not_a_hash(demo_db: Database, sql: Tamper) -> None:
    sql.execute("UPDATE event_chain SET hash = 'abc' WHERE position = 5")
    assert altered_at(demo_db) == (5, "changed")


# --- bundles --------------------------------------------------------------------------------


@pytest.fixture
def bundle(demo_db: Database, tmp_path: Path) -> Path:
    out = tmp_path / "ho-so.zip"
    store = open_store(demo_db)  # another campaign's events after this one's
    Workflow(store, "truong-to").import_plan(
        plan_text(**{'code = "KTD-TKT-2026"': 'code = "KTD-TKT-2027"'}), "p.toml", NOW.date())
    store.close()
    done = export_bundle(demo_db, "KTD-TKT-2026", out, SIGNER, NOW)
    assert (done.events, done.links, done.attachments) == (28, 33, 2)
    return out


def bundle_altered(path: Path, keys: Keys | None = None) -> tuple[int, str]:
    """What a check of the bundle's content finds (by default without the key: the forger
    resealed the bundle, so its signature alone would fail first)."""
    with pytest.raises(LogAltered) as found:
        verify_bundle(path, keys)
    return found.value.params["position"], found.value.params["kind"]


def test_a_bundle_verifies_without_its_database(bundle: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "reviewer" / "ho-so.zip"
    elsewhere.parent.mkdir()
    shutil.copy(bundle, elsewhere)
    found = verify_bundle(elsewhere, KEYS)
    assert (found.campaign, found.events, found.links, found.head) == ("KTD-TKT-2026", 28, 33, 33)
    assert found.signed_by == SIGNER.public.fingerprint
    other_campaign = [json.loads(x) for x in zipfile.ZipFile(bundle).read(
        "chain.jsonl").splitlines()][-1]
    assert "state" not in other_campaign and other_campaign["payload_sha256"]


def drop_event(parts: Parts) -> None:
    lines = parts["events.jsonl"].splitlines(keepends=True)
    parts["events.jsonl"] = b"".join(lines[:10] + lines[11:])


def test_a_bundle_missing_an_event(bundle: Path) -> None:
    rewrite(bundle, drop_event)
    assert bundle_altered(bundle) == (11, "incomplete")
    assert bundle_altered(bundle, KEYS) == (33, "signature")  # the manifest is signed


def test_a_bundle_with_a_changed_file(bundle: Path) -> None:
    def change(parts: Parts) -> None:
        name = next(n for n in parts if n.startswith("attachments/"))
        parts[name] = b"noi dung khac"

    rewrite(bundle, change)
    assert bundle_altered(bundle)[1] == "attachment"


def test_an_entry_not_as_the_signed_manifest_lists_it(bundle: Path) -> None:
    """Left as they are by the forger, the manifest's sizes and digests name the entry."""
    shutil.copy(bundle, bundle.with_name("same-size.zip"))
    rewrite(bundle, drop_event, reseal=False)
    with pytest.raises(BundleAltered) as refused:
        verify_bundle(bundle, KEYS)
    assert (refused.value.params["kind"], refused.value.params["entry"]) == (
        "size", "events.jsonl")
    assert refused.value.exit_code == 1

    def redate(parts: Parts) -> None:
        parts["events.jsonl"] = parts["events.jsonl"].replace(b"2026-08-17", b"2026-08-18", 1)

    rewrite(bundle.with_name("same-size.zip"), redate, reseal=False)
    with pytest.raises(BundleAltered) as refused:
        verify_bundle(bundle.with_name("same-size.zip"), KEYS)
    assert refused.value.params == {"kind": "digest", "entry": "events.jsonl"}


def test_a_rebuilt_bundle_fails_the_signature(bundle: Path) -> None:
    forger = SecretKey.from_seed(b"f" * 32)

    def resign(parts: Parts) -> None:
        checkpoint = Checkpoint.from_json(json.loads(parts["checkpoint.json"]))
        claimed = Checkpoint.from_json({**checkpoint.signed(forger).to_json(),
                                        "key_id": SIGNER.public.key_id})
        parts["checkpoint.json"] = json.dumps(claimed.to_json()).encode()

    rewrite(bundle, resign, reseal=False)
    assert bundle_altered(bundle, KEYS)[1] == "signature"
    assert verify_bundle(bundle, None).signature_checked is False


def test_a_file_that_is_no_bundle(tmp_path: Path) -> None:
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"PK not really")
    with pytest.raises(InvalidCheckpoint) as refused:
        verify_bundle(junk, KEYS)
    assert refused.value.exit_code == 2


def test_concurrent_writers_keep_one_unbroken_chain(tmp_path: Path) -> None:
    """Two processes' stores saving at once: each link is made under the write lock."""
    import threading

    from kiemtra.workflow import ConcurrentChange

    path = tmp_path / "kiemtra.db"
    open_store(Database(str(path))).close()
    failures: list[BaseException] = []

    def writer(prefix: str) -> None:
        store = open_store(Database(str(path)))
        try:
            for i in range(8):
                text = plan_text(**{'code = "KTD-TKT-2026"': f'code = "{prefix}-{i}"'})
                while True:
                    try:
                        Workflow(store, "truong-to").import_plan(text, "p.toml", NOW.date())
                        break
                    except ConcurrentChange:
                        continue
        except BaseException as exc:  # reported below, in the test's thread
            failures.append(exc)
        finally:
            store.close()

    threads = [threading.Thread(target=writer, args=(p,)) for p in ("A", "B")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert verify_database(path).events == 2 * 8 * 5


def test_older_checkpoints_against_a_bundle(demo_db: Database, tmp_path: Path) -> None:
    """A bundle holds its commune's chain: the commune's checkpoints, earlier or later,
    are checked against it; one of the whole log (or release 0.1's) is a question of which
    chain (exit 2), to be checked against the database instead."""
    at_start = make_checkpoint(demo_db, SIGNER, NOW, origin=COMMUNE)  # before the second
    store = open_store(demo_db)
    Workflow(store, "truong-to").import_plan(
        plan_text(**{'code = "KTD-TKT-2026"': 'code = "KTD-TKT-2027"'}), "p.toml", NOW.date())
    store.close()
    later = make_checkpoint(demo_db, SIGNER, NOW, origin=COMMUNE)
    second = tmp_path / "2027.zip"
    export_bundle(demo_db, "KTD-TKT-2027", second, SIGNER, NOW)
    found = verify_bundle(second, KEYS, [("start", at_start), ("later", later)])
    assert (found.events, found.head, found.origin) == (5, 33, COMMUNE)
    whole = make_checkpoint(demo_db, SIGNER, NOW)
    for other in (whole, make_checkpoint_at(demo_db, 30)):  # the log's; release 0.1's
        with pytest.raises(InvalidCheckpoint) as refused:
            verify_bundle(second, Keys(secret=KEY, public=SIGNER.public), [("cp", other)])
        assert refused.value.exit_code == 2 and COMMUNE in refused.value.message("vi")
    assert verify_database(demo_db, [("whole", whole)], KEYS).checkpoints == 1
    first = tmp_path / "2026.zip"
    export_bundle(demo_db, "KTD-TKT-2026", first, SIGNER, NOW)
    early = make_checkpoint_at_origin(demo_db, 10)
    with pytest.raises(InvalidCheckpoint):  # a checkpoint from before the bundle's part
        verify_bundle(second, KEYS, [("early", early)])
    assert verify_bundle(first, KEYS, [("early", early)]).head == 33


def make_checkpoint_at_origin(db: Database, seq: int) -> Checkpoint:
    with tamper(db) as conn:
        hash_ = conn.execute("SELECT hash FROM origin_chain WHERE origin = ? AND seq = ?",
                             (COMMUNE, seq)).fetchone()[0]
    return Checkpoint(position=seq, hash=bytes(hash_).hex(), events=seq,
                      created_at="2026-11-01T00:00:00+07:00", key_id="",
                      origin=COMMUNE).signed(SIGNER)


def make_checkpoint_at(db: Database, position: int) -> Checkpoint:
    with tamper(db) as conn:
        hash_ = conn.execute("SELECT hash FROM event_chain WHERE position = ?",
                             (position,)).fetchone()[0]
    return Checkpoint(position=position, hash=bytes(hash_).hex(), events=position,
                      created_at="2026-11-01T00:00:00+07:00", key_id=key_id(KEY)).signed(KEY)


def test_events_deleted_at_the_end_are_named_as_such_by_a_write_and_by_rechain(
        demo_db: Database, sql: Tamper) -> None:
    """The chain goes on past the last event: events were removed, not the chain. A write
    and `rechain` say so alike (restore a backup), never "rechain" and "intact" in turn."""
    from kiemtra.workflow.chain_repair import rechain
    from kiemtra.workflow.errors import EventsRemoved

    sql.execute("DELETE FROM stored_events WHERE rowid >= 27")
    with pytest.raises(EventsRemoved) as refused:
        write_one(demo_db)
    assert refused.value.params["position"] == 27 and refused.value.exit_code == 1
    with pytest.raises(EventsRemoved):
        rechain(demo_db, "truong-to", "x", NOW)
    assert sql.execute("SELECT COUNT(*) FROM stored_events").fetchone()[0] == 26


LAST_STREAM = "(SELECT originator_id FROM stored_events WHERE rowid = 28)"


@pytest.mark.parametrize("damage", [
    f"DELETE FROM stream_origin WHERE originator_id = {LAST_STREAM}",  # its commune lost
    "DELETE FROM origin_chain WHERE origin = (SELECT origin FROM stream_origin WHERE "
    f"originator_id = {LAST_STREAM})",  # its commune's chain emptied
])
def test_an_event_of_a_stream_whose_commune_chain_is_gone_is_refused(
        demo_db: Database, sql: Tamper, damage: str) -> None:
    """An event of an existing stream is linked in its commune's chain or not stored:
    with the stream's commune, or that commune's links, removed behind kiemtra's back, the
    write is refused at the new event's position, and nothing is kept."""
    from eventsourcing.persistence import StoredEvent

    from kiemtra.workflow.errors import CommuneChainBroken

    stream, version, topic, state = sql.execute(
        "SELECT originator_id, originator_version, topic, state FROM stored_events "
        "WHERE rowid = 28").fetchone()
    sql.execute(damage)
    store = open_store(demo_db)
    try:
        with pytest.raises(CommuneChainBroken) as refused:
            store.recorder.insert_events([StoredEvent(
                originator_id=stream, originator_version=int(version) + 1, topic=topic,
                state=bytes(state))])
    finally:
        store.close()
    assert refused.value.params["position"] == 29 and refused.value.exit_code == 1
    assert sql.execute("SELECT COUNT(*) FROM stored_events").fetchone()[0] == 28
    assert sql.execute("SELECT COUNT(*) FROM event_chain").fetchone()[0] == 28


def test_a_refusal_names_the_same_event_on_both_databases(demo_db: Database,
                                                          sql: Tamper) -> None:
    """Each event's commune is settled before any commune's chain is extended, on SQLite
    (Python) and PostgreSQL (the write function) alike: with the last stream's commune
    chain emptied, a batch of one event of that stream and one of a new stream that no
    commune is given for is refused at the second (no commune), not at the first."""
    from uuid import uuid4

    from eventsourcing.persistence import StoredEvent

    from kiemtra.workflow.errors import CommuneChainBroken

    stream, version, topic, state = sql.execute(
        "SELECT originator_id, originator_version, topic, state FROM stored_events "
        "WHERE rowid = 28").fetchone()
    sql.execute("DELETE FROM origin_chain WHERE origin = (SELECT origin FROM stream_origin "
                f"WHERE originator_id = {LAST_STREAM})")
    new = uuid4()
    store = open_store(demo_db)
    try:
        with pytest.raises(CommuneChainBroken) as refused:
            store.recorder.insert_events([
                StoredEvent(stream, int(version) + 1, topic, bytes(state)),
                StoredEvent(new if demo_db.is_postgres else new.hex, 1, topic, bytes(state))])
    finally:
        store.close()
    assert refused.value.params["position"] == 30


def test_a_first_event_of_a_stream_the_log_already_places_starts_its_communes_chain(
        demo_db: Database, sql: Tamper) -> None:
    """A stream whose commune is stored already (`stream_origin`) and whose first event
    comes with no commune given keeps the stored one; a commune with no chain yet starts
    it from `origin_genesis`, on both databases."""
    from uuid import uuid4

    from eventsourcing.persistence import StoredEvent

    from kiemtra.domain.chain import event_canonical, link

    new = uuid4()
    key = str(new) if demo_db.is_postgres else new.hex
    sql.execute("INSERT INTO stream_origin (originator_id, origin) VALUES (?, ?)",
                (key, "Ủy ban nhân dân xã Mới"))
    payload = b'{"note": "x"}'
    store = open_store(demo_db)
    try:
        store.recorder.insert_events([StoredEvent(key, 1, "kiemtra:Test.Step", payload)])
    finally:
        store.close()
    seq, hash_ = sql.execute("SELECT seq, hash FROM origin_chain WHERE origin = ?",
                             ("Ủy ban nhân dân xã Mới",)).fetchone()
    assert seq == 1 and bytes(hash_) == link(
        origin_genesis("Ủy ban nhân dân xã Mới"),
        event_canonical(new, 1, "kiemtra:Test.Step", payload), 1)
