"""One deployment, many communes (issue 16, item 2), through the installed script, on
SQLite and on the real PostgreSQL server: each commune's events form a chain of their own,
checkpointed and exported alone, so that a commune's reviewer verifies that commune's
record without the rest of the province's log and learns nothing of another commune's;
and a database written before the chains per commune keeps verifying."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest

from kiemtra.domain.ids import campaign_id, inspection_id
from kiemtra.workflow.database import Database
from tests.e2e.conftest import CODE, Run, ok
from tests.tamper import tamper

KHUC_THUA_DU = "Ủy ban nhân dân xã Khúc Thừa Dụ"
HONG_HA = "Ủy ban nhân dân phường Hồng Hà"
OTHER = "HH-TKT-2026"
SINGLE_CHAIN = Path(__file__).parents[1] / "fixtures" / "single-chain"


@pytest.fixture
def province(audited: Run, tmp_path: Path) -> Run:
    """The template's commune (xã Khúc Thừa Dụ, CODE) and a ward (phường Hồng Hà, OTHER)
    in one database, each with steps of its own, interleaved in the log."""
    plan = (tmp_path / "ke-hoach.toml").read_text("utf-8")
    ward = plan.replace(f'code = "{CODE}"', f'code = "{OTHER}"').replace(
        "xã Khúc Thừa Dụ", "phường Hồng Hà  ").replace(  # spaces: collapsed in its name
        "Khúc Thừa Dụ", "Hồng Hà")
    (tmp_path / "hong-ha.toml").write_text(ward, "utf-8")
    ok(audited("plan", "import", "hong-ha.toml"))
    for code in (CODE, OTHER):
        ok(audited("notify", code, "kt", "--on-site", "12/08/2026", "--date", "03/08/2026"))
    ok(audited("report", OTHER, "kt", "--date", "10/08/2026"))
    return audited


def test_each_commune_has_its_own_chain(province: Run, database: Database) -> None:
    verified = ok(province("--json", "audit", "verify")).json()
    origins = {o["origin"]: o for o in verified["origins"]}
    assert set(origins) == {KHUC_THUA_DU, HONG_HA}
    assert (origins[KHUC_THUA_DU]["events"], origins[HONG_HA]["events"]) == (6, 7)
    assert verified["events"] == 13
    assert all(o["chained_after_the_fact_through"] is None for o in origins.values())
    words = ok(province("audit", "verify")).out
    assert f"{HONG_HA}: 7; {KHUC_THUA_DU}: 6 sự kiện" in words  # in order of name
    with tamper(database) as sql:
        positions = [r[0] for r in sql.execute(
            "SELECT position FROM origin_chain WHERE origin = ? ORDER BY seq", (HONG_HA,))]
    assert len(positions) == 7 and positions != list(range(positions[0], positions[0] + 7))


def test_a_communes_checkpoint_and_bundle_need_only_its_own_events(
        province: Run, tmp_path: Path) -> None:
    taken = ok(province("audit", "checkpoint", "--campaign", OTHER, "-o", "hh.json"))
    checkpoint = json.loads((tmp_path / "hh.json").read_text("utf-8"))
    assert (checkpoint["origin"], checkpoint["position"], checkpoint["events"]) == (
        HONG_HA, 7, 7)
    assert "hh.json" in taken.err
    ok(province("audit", "key", "show", "-o", "xa.pub"))
    ok(province("audit", "verify", "--checkpoint", "hh.json", "--public-key", "xa.pub"))

    ok(province("audit", "export", OTHER, "-o", "hh.zip"))
    bundle = zipfile.ZipFile(tmp_path / "hh.zip")
    manifest = json.loads(bundle.read("manifest.json"))
    assert (manifest["format"], manifest["origin"]) == ("kiemtra-audit-bundle/3", HONG_HA)
    links = [json.loads(line) for line in bundle.read("chain.jsonl").splitlines()]
    assert [link["position"] for link in links] == list(range(1, 8))
    theirs = {campaign_id(CODE).hex, *(inspection_id(CODE, u).hex
                                       for u in ("vp", "kt", "vhxh", "hcc"))}
    everything = b"".join(bundle.read(name) for name in bundle.namelist())
    assert not any(stream.encode() in everything for stream in theirs)
    assert "Khúc Thừa Dụ".encode() not in everything  # nothing of the other commune

    elsewhere = tmp_path / "so-noi-vu"
    elsewhere.mkdir()
    shutil.copy(tmp_path / "hh.zip", elsewhere / "hh.zip")
    reviewer = {"XDG_CONFIG_HOME": str(elsewhere / "config"), "KIEMTRA_DB": "none.db"}
    found = ok(province("--json", "audit", "verify", "--bundle", str(elsewhere / "hh.zip"),
                        "--public-key", "xa.pub", "--checkpoint", "hh.json",
                        env=reviewer)).json()
    assert (found["origin"], found["events"], found["head"]) == (HONG_HA, 7, 7)
    assert not (elsewhere / "none.db").exists()
    words = ok(province("audit", "verify", "--bundle", "hh.zip", "--public-key", "xa.pub")).out
    assert f"chuỗi riêng của {HONG_HA}" in words


def test_another_communes_checkpoint_is_refused_against_a_bundle(
        province: Run, tmp_path: Path) -> None:
    ok(province("audit", "checkpoint", "--campaign", CODE, "-o", "ktd.json"))
    ok(province("audit", "checkpoint", "-o", "ca-nhat-ky.json"))
    ok(province("audit", "export", OTHER, "-o", "hh.zip"))
    ok(province("audit", "key", "show", "-o", "xa.pub"))
    for other in ("ktd.json", "ca-nhat-ky.json"):
        for lang, words in (("vi", "không phải của chuỗi"), ("en", "not of the chain")):
            refused = province("--lang", lang, "audit", "verify", "--bundle", "hh.zip",
                               "--public-key", "xa.pub", "--checkpoint", other)
            assert refused.code == 2 and words in refused.err and HONG_HA in refused.err
    unknown = province("audit", "checkpoint", "--campaign", "KHONG-CO", "-o", "x.json")
    assert unknown.code == 2 and "KHONG-CO" in unknown.err
    assert not (tmp_path / "x.json").exists()


@pytest.mark.parametrize(("damage", "kind"), [
    ("UPDATE origin_chain SET seq = seq + 1000 WHERE seq >= 3 AND origin = ?", "thiếu mắt xích"),
    ("DELETE FROM origin_chain WHERE seq = 3 AND origin = ?",
     "không có mắt xích trong chuỗi băm riêng"),
    ("DELETE FROM origin_chain WHERE seq = (SELECT MAX(seq) FROM origin_chain WHERE "
     "origin = ?) AND origin = ?", "không có mắt xích trong chuỗi băm riêng"),
    ("UPDATE stream_origin SET origin = ? WHERE origin = ?", "bảng stream_origin"),
])
def test_a_communes_chain_altered_is_caught(province: Run, database: Database,
                                            damage: str, kind: str) -> None:
    with tamper(database) as sql:
        params = (HONG_HA,) * damage.count("?")
        if damage.startswith("UPDATE stream_origin"):
            params = (KHUC_THUA_DU, HONG_HA)
        sql.execute(damage, params)
    altered = province("audit", "verify")
    assert altered.code == 1 and kind in altered.err, altered.err


def test_a_database_written_with_one_chain_keeps_verifying(run: Run, tmp_path: Path) -> None:
    """The fixture was written by the release before the chains per commune (one chain,
    checkpoint/2 of origin "*", bundle format 2): its checkpoint and bundle verify as they
    did; the first opening chains each commune's events after the fact, and says so."""
    for name in ("single-chain.db", "checkpoint.json", "checkpoint.json.minisig",
                 "bundle.zip", "public-key.pub"):
        shutil.copy(SINGLE_CHAIN / name, tmp_path / name)
    db = ("--db", "single-chain.db")
    old = ok(run(*db, "--json", "audit", "verify", "--checkpoint", "checkpoint.json",
                 "--public-key", "public-key.pub")).json()
    assert (old["events"], old["checkpoints"], "origins" in old) == (45, 1, False)  # as before
    bundle = ok(run("--json", "audit", "verify", "--bundle", "bundle.zip", "--public-key",
                    "public-key.pub")).json()
    assert (bundle["events"], bundle["head"], "origin" in bundle) == (32, 45, False)

    ok(run(*db, "report", OTHER, "kt", "--date", "10/08/2026"))  # the work goes on
    after = ok(run(*db, "--json", "audit", "verify", "--checkpoint", "checkpoint.json",
                   "--public-key", "public-key.pub")).json()
    assert (after["events"], after["checkpoints"]) == (46, 1)  # the old checkpoint holds
    assert {o["origin"]: (o["events"], o["chained_after_the_fact_through"])
            for o in after["origins"]} == {KHUC_THUA_DU: (39, 39), HONG_HA: (7, 6)}
    noted = ok(run(*db, "audit", "verify")).err
    assert f"Lưu ý: chuỗi băm riêng của {HONG_HA} được nối cho các sự kiện 1–6" in noted
    ok(run(*db, "audit", "export", OTHER, "-o", "hh.zip"))  # a new key: the old one is gone
    ok(run("audit", "key", "show", "-o", "moi.pub"))
    found = ok(run("--json", "audit", "verify", "--bundle", "hh.zip", "--public-key",
                   "moi.pub")).json()
    assert (found["origin"], found["events"], found["head"]) == (HONG_HA, 7, 7)


def test_a_commune_spelled_otherwise_is_refused(province: Run, tmp_path: Path,
                                                database: Database) -> None:
    """A second campaign of a commune already in the database is written as the first:
    another case or tone-mark placement would start a second chain of the same commune
    (and share its register of numbers with the first)."""
    plan = (tmp_path / "ke-hoach.toml").read_text("utf-8").replace(
        f'code = "{CODE}"', 'code = "KTD-TKT-2027"')
    with tamper(database) as sql:
        before = sql.execute("SELECT COUNT(*) FROM stored_events").fetchone()[0]
    for spelled in ("Uỷ ban nhân dân xã Khúc Thừa Dụ", "ỦY BAN NHÂN DÂN XÃ KHÚC THỪA DỤ"):
        (tmp_path / "2027.toml").write_text(plan.replace(KHUC_THUA_DU, spelled, 1), "utf-8")
        for lang, words in (("vi", f"hãy viết đúng như “{KHUC_THUA_DU}”"),
                            ("en", f"write it as '{KHUC_THUA_DU}'")):
            refused = province("--lang", lang, "plan", "import", "2027.toml")
            assert refused.code == 2 and words in refused.err, refused.err
    with tamper(database) as sql:
        assert sql.execute("SELECT COUNT(*) FROM stored_events").fetchone()[0] == before
    (tmp_path / "2027.toml").write_text(plan, "utf-8")  # written as before: one chain
    ok(province("plan", "import", "2027.toml"))
    origins = ok(province("--json", "audit", "verify")).json()["origins"]
    assert sorted(o["origin"] for o in origins) == sorted([KHUC_THUA_DU, HONG_HA])
