"""Checkpoints a reviewer can verify but not forge (issue 16, item 3), through the installed
script: the commune's Ed25519 key pair, checkpoints checked with the public key alone, by
kiemtra and by Debian's minisign, the key made once by eight first uses at once, and a
key file others could read refused."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from tests.e2e.conftest import Result, Run, kiemtra_script, ok

FIXTURE = Path(__file__).parents[1] / "fixtures" / "release-0.1.0"
OLD_KEY = {"KIEMTRA_AUDIT_KEY": "kiemtra-release-fixture-0.1.0-audit-key"}


def minisign() -> str:
    """Debian's minisign; the tests that need it skip without it, except under CI
    (KIEMTRA_REQUIRE_MINISIGN=1, .ci/run), where they must run."""
    found = shutil.which("minisign")
    if found is None:
        if os.environ.get("KIEMTRA_REQUIRE_MINISIGN"):
            pytest.fail("minisign is required here (KIEMTRA_REQUIRE_MINISIGN): "
                        "apt-get install minisign")
        pytest.skip("minisign is not installed (apt-get install minisign)")
    return found


def elsewhere(tmp_path: Path, name: str = "co-quan-kiem-tra") -> dict[str, str]:
    """Another user's configuration folder: no key of the commune's in it."""
    return {"XDG_CONFIG_HOME": str(tmp_path / name)}


def both(run: Run, *args: str, env: dict[str, str] | None = None) -> tuple[Result, Result]:
    return run("--lang", "vi", *args, env=env), run("--lang", "en", *args, env=env)


def test_the_key_pair_for_the_official_letter(run: Run, tmp_path: Path) -> None:
    vi, en = both(run, "audit", "key", "show")
    assert vi.code == en.code == 2
    assert "kiemtra audit key init" in vi.err and "Chưa có khóa ký" in vi.err
    assert "There is no Ed25519 signing key" in en.err
    made = ok(run("--json", "audit", "key", "init")).json()
    assert made["created"] is True
    key = Path(made["secret_key_file"])
    assert key == tmp_path / "config" / "kiemtra" / "audit-signing.key"
    assert key.stat().st_mode & 0o777 == 0o600 and key.parent.stat().st_mode & 0o777 == 0o700
    again = ok(run("audit", "key", "init"))
    assert "đã có" in again.out and "giữ nguyên" in again.out
    assert ok(run("--json", "audit", "key", "init")).json()["fingerprint"] == made["fingerprint"]

    shown = ok(run("audit", "key", "show"))
    comment, line = shown.out.splitlines()  # the file itself: `> khoa.pub` works too
    groups = " ".join(made["fingerprint"].upper()[i:i + 4] for i in range(0, 64, 4))
    assert comment == (f"untrusted comment: kiemtra public key {made['key_id'].upper()}, "
                       f"SHA-256 fingerprint {groups}")
    assert line == made["public_key"] and line.startswith("RW")
    assert f"Dấu vân tay SHA-256: {groups[:39]}" in shown.err and groups[40:] in shown.err
    assert "công văn" in shown.err and "minisign -Vm" in shown.err
    assert "SHA-256 fingerprint: " in ok(run("--lang", "en", "audit", "key", "show")).err
    ok(run("audit", "key", "show", "-o", "khoa-cong-khai.pub"))
    assert (tmp_path / "khoa-cong-khai.pub").read_text() == shown.out
    kept = run("audit", "key", "show", "-o", "khoa-cong-khai.pub")
    assert kept.code == 2 and "--force" in kept.err
    ok(run("audit", "key", "show", "-o", "khoa-cong-khai.pub", "--force"))


def test_a_checkpoint_is_verified_with_the_public_key_alone(imported: Run,
                                                            tmp_path: Path) -> None:
    (tmp_path / "cp.json.minisig").write_text("cu")  # an old one: refused, no key made
    kept = imported("audit", "checkpoint", "-o", "cp.json")
    assert kept.code == 2 and "cp.json.minisig" in kept.err and "--force" in kept.err
    assert not (tmp_path / "config").exists() and not (tmp_path / "cp.json").exists()
    (tmp_path / "cp.json.minisig").unlink()
    taken = ok(imported("audit", "checkpoint", "-o", "cp.json"))
    assert "Đã tạo khóa ký Ed25519 của xã (lần dùng đầu)" in taken.err  # first use
    assert "audit key show -o" in taken.err and "cp.json.minisig" in taken.err
    checkpoint = json.loads((tmp_path / "cp.json").read_text())
    assert checkpoint["format"] == "kiemtra-checkpoint/2" and checkpoint["origin"] == "*"
    assert {"position", "hash", "events", "created_at", "key_id", "signature"} <= set(checkpoint)
    public = ok(imported("--json", "audit", "key", "show", "-o", "xa.pub")).json()

    reviewer = elsewhere(tmp_path)  # no KIEMTRA_AUDIT_KEY (the fixture drops it), no secret
    found = ok(imported("--json", "audit", "verify", "--checkpoint", "cp.json",
                        "--public-key", "xa.pub", env=reviewer)).json()
    assert found["checkpoints"] == 1 and found["public_key_fingerprint"] == public["fingerprint"]
    words = ok(imported("audit", "verify", "--checkpoint", "cp.json", "--public-key", "xa.pub",
                        env=reviewer)).out
    assert "Chữ ký hợp lệ, theo khóa công khai Ed25519 có dấu vân tay " + " ".join(
        public["fingerprint"].upper()[i:i + 4] for i in range(0, 16, 4)) in words
    assert not (tmp_path / "co-quan-kiem-tra").exists()
    needed = imported("audit", "verify", "--checkpoint", "cp.json", env=reviewer)
    assert needed.code == 2 and "--public-key" in needed.err
    assert ok(imported("audit", "verify", "--checkpoint", "cp.json")).code == 0  # own key
    signature = tmp_path / "cp.json.minisig"  # the minisign signature beside must agree
    signature.write_text(signature.read_text().replace("trusted comment: kiemtra",
                                                       "trusted comment: sua"))
    vi, en = both(imported, "audit", "verify", "--checkpoint", "cp.json", "--public-key",
                  "xa.pub", env=reviewer)
    assert vi.code == en.code == 1
    assert "Tệp chữ ký cp.json.minisig không khớp cp.json" in vi.err
    assert "The signature file cp.json.minisig does not match cp.json" in en.err


@pytest.mark.parametrize(("field", "value"), [("position", 3), ("events", 3),
                                              ("created_at", "2027-01-01T00:00:00+07:00"),
                                              ("origin", "xa-khac")])
def test_an_edited_checkpoint_is_refused(imported: Run, tmp_path: Path, field: str,
                                         value: object) -> None:
    ok(imported("audit", "checkpoint", "-o", "cp.json"))
    ok(imported("audit", "key", "show", "-o", "xa.pub"))
    data = json.loads((tmp_path / "cp.json").read_text())
    data[field] = value
    (tmp_path / "cp.json").write_text(json.dumps(data, indent=2) + "\n")
    vi, en = both(imported, "audit", "verify", "--checkpoint", "cp.json", "--public-key",
                  "xa.pub", env=elsewhere(tmp_path))
    assert vi.code == en.code == 1
    assert vi.err.startswith("Chữ ký của điểm kiểm tra cp.json (") and "không hợp lệ" in vi.err
    assert "đã bị sửa sau khi ký" in vi.err and "(quy tắc: chữ ký điểm kiểm tra)" in vi.err
    assert en.err.startswith("The signature of checkpoint cp.json (") and "invalid" in en.err


def test_a_checkpoint_signed_by_another_key_is_refused(imported: Run, tmp_path: Path) -> None:
    ok(imported("audit", "key", "init"))
    ok(imported("audit", "key", "show", "-o", "xa.pub"))
    forger = elsewhere(tmp_path, "nguoi-khac")
    ok(imported("audit", "checkpoint", "-o", "gia.json", env=forger))  # his own key pair
    vi, en = both(imported, "audit", "verify", "--checkpoint", "gia.json", "--public-key",
                  "xa.pub", env=elsewhere(tmp_path))
    assert vi.code == en.code == 2  # the key named is not the letter's: as the README says
    assert "Điểm kiểm tra gia.json" in vi.err and "không phải khóa công khai" in vi.err
    assert "xa.pub" in vi.err and "chữ ký này không phải của xã" in vi.err
    assert "was signed with key" in en.err and "not the commune's" in en.err
    # the same, claiming the commune's key id: the signature then fails (exit 1)
    data = json.loads((tmp_path / "gia.json").read_text())
    data["key_id"] = json.loads(imported("--json", "audit", "key", "show").out)["key_id"]
    (tmp_path / "gia.json").write_text(json.dumps(data))
    claimed = imported("audit", "verify", "--checkpoint", "gia.json", "--public-key", "xa.pub",
                       env=elsewhere(tmp_path))
    assert claimed.code == 1 and "không hợp lệ" in claimed.err


def test_minisign_checks_the_checkpoint_and_the_bundle(imported: Run, tmp_path: Path) -> None:
    tool = minisign()
    ok(imported("audit", "checkpoint", "-o", "cp.json"))
    ok(imported("audit", "key", "show", "-o", "xa.pub"))
    checked = subprocess.run([tool, "-Vm", "cp.json", "-p", "xa.pub"], cwd=tmp_path,
                             capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr
    position = json.loads((tmp_path / "cp.json").read_text())["position"]
    assert f"Trusted comment: kiemtra-checkpoint/2 origin=* position={position} " in checked.stdout
    prehashed = subprocess.run([tool, "-V", "-H", "-m", "cp.json", "-p", "xa.pub"],
                               cwd=tmp_path, capture_output=True, check=False)
    assert prehashed.returncode == 0  # not the legacy form `minisign -H` refuses

    ok(imported("audit", "export", "KTD-TKT-2026", "-o", "ho-so.zip"))
    unpacked = tmp_path / "giai-nen"
    zipfile.ZipFile(tmp_path / "ho-so.zip").extractall(unpacked)
    shutil.copy(tmp_path / "xa.pub", unpacked / "xa.pub")
    assert subprocess.run([tool, "-Vm", "checkpoint.json", "-p", "xa.pub"], cwd=unpacked,
                          capture_output=True, check=False).returncode == 0

    edited = (tmp_path / "cp.json").read_text().replace(f'"position": {position}',
                                                         f'"position": {position - 1}')
    (tmp_path / "cp.json").write_text(edited)
    refused = subprocess.run([tool, "-Vm", "cp.json", "-p", "xa.pub"], cwd=tmp_path,
                             capture_output=True, text=True, check=False)
    assert refused.returncode != 0 and "verification failed" in refused.stderr
    # and the secret key file is minisign's too: minisign signs with it, kiemtra's key checks
    (tmp_path / "thu.txt").write_text("thử\n")
    key = tmp_path / "config" / "kiemtra" / "audit-signing.key"
    assert subprocess.run([tool, "-S", "-s", str(key), "-m", "thu.txt"], cwd=tmp_path,
                          capture_output=True, check=False).returncode == 0
    assert subprocess.run([tool, "-Vm", "thu.txt", "-p", "xa.pub"], cwd=tmp_path,
                          capture_output=True, check=False).returncode == 0


def test_eight_first_uses_at_once_make_one_key(imported: Run, tmp_path: Path) -> None:
    """Eight checkpoints, then eight `key init`, each eight processes at once on a fresh
    configuration folder: one key, which every one of them used."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("KIEMTRA_")}
    environ.update({"KIEMTRA_ACTOR": "truong-to", "XDG_CONFIG_HOME": str(tmp_path / "moi")})

    def at_once(*args: str, config: str) -> list[subprocess.CompletedProcess[str]]:
        env = {**environ, "XDG_CONFIG_HOME": str(tmp_path / config)}
        started = [subprocess.Popen([kiemtra_script(), *(a.format(i=i) for a in args)],
                                    cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True) for i in range(8)]
        return [subprocess.CompletedProcess(p.args, p.wait(60), *p.communicate())
                for p in started]

    done = at_once("audit", "checkpoint", "-o", "cp-{i}.json", config="moi")
    assert [d.returncode for d in done] == [0] * 8, [d.stderr for d in done]
    assert sorted(p.name for p in (tmp_path / "moi" / "kiemtra").iterdir()) == [
        "audit-signing.key"]  # no temporary file left
    assert sum("lần dùng đầu" in d.stderr for d in done) == 1
    ok(imported("audit", "key", "show", "-o", "xa.pub", env={"XDG_CONFIG_HOME": str(
        tmp_path / "moi")}))
    ids = {json.loads((tmp_path / f"cp-{i}.json").read_text())["key_id"] for i in range(8)}
    assert len(ids) == 1
    ok(imported("audit", "verify", *(f"--checkpoint=cp-{i}.json" for i in range(8)),
                "--public-key", "xa.pub", env=elsewhere(tmp_path)))

    inits = at_once("--json", "audit", "key", "init", config="khac")
    assert [d.returncode for d in inits] == [0] * 8, [d.stderr for d in inits]
    told = [json.loads(d.stdout) for d in inits]
    assert sum(t["created"] for t in told) == 1 and len({t["fingerprint"] for t in told}) == 1


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o620, 0o604])
def test_a_key_file_others_may_use_is_refused(imported: Run, tmp_path: Path, mode: int) -> None:
    """The check is on the mode bits of the file opened, so it holds for root too (whom
    permissions do not stop reading)."""
    ok(imported("audit", "key", "init"))
    key = tmp_path / "config" / "kiemtra" / "audit-signing.key"
    key.chmod(mode)
    for args in (("audit", "checkpoint", "-o", "cp.json"), ("audit", "key", "show")):
        vi, en = both(imported, *args)
        assert vi.code == en.code == 2
        assert f"quyền {mode:o}" in vi.err and f"chmod 600 {key}" in vi.err
        assert f"(mode {mode:o}), so it is not used" in en.err
        assert vi.err.count("\n") == 1 and vi.out == ""
    assert not (tmp_path / "cp.json").exists()
    key.chmod(0o600)
    ok(imported("audit", "checkpoint", "-o", "cp.json"))


@pytest.mark.parametrize("content", ["", "untrusted comment: x\n", "untrusted comment: x\nRWQ"])
def test_an_empty_or_short_key_is_never_used(imported: Run, tmp_path: Path,
                                             content: str) -> None:
    key = tmp_path / "config" / "kiemtra" / "audit-signing.key"
    key.parent.mkdir(parents=True, mode=0o700)
    key.write_text(content)
    key.chmod(0o600)
    vi, en = both(imported, "audit", "checkpoint", "-o", "cp.json")
    assert vi.code == en.code == 2
    assert f"Không dùng được tệp khóa {key}" in vi.err
    assert f"The key file {key} cannot be used" in en.err
    assert not (tmp_path / "cp.json").exists() and key.read_text() == content  # kept as is


def test_release_0_1_0_checkpoint_and_bundle_verify_with_their_key(run: Run,
                                                                   tmp_path: Path) -> None:
    for name in ("kiemtra-0.1.0.db", "checkpoint.json", "bundle.zip"):
        shutil.copy(FIXTURE / name, tmp_path / name)
    found = ok(run("--db", "kiemtra-0.1.0.db", "--json", "audit", "verify", "--checkpoint",
                   "checkpoint.json", env=OLD_KEY)).json()
    assert found["checkpoints"] == 1 and "public_key_fingerprint" not in found
    assert ok(run("--json", "audit", "verify", "--bundle", "bundle.zip", env=OLD_KEY)).json()[
        "signature_checked"]
    assert not (tmp_path / "config").exists()  # verifying made no key
    needed = run("audit", "verify", "--bundle", "bundle.zip")
    assert needed.code == 2 and "KIEMTRA_AUDIT_KEY" in needed.err
    short = tmp_path / "config" / "kiemtra" / "audit.key"  # the key file 0.1 wrote, cut short
    short.parent.mkdir(parents=True)
    short.write_text("")
    short.chmod(0o600)
    cut = run("--db", "kiemtra-0.1.0.db", "audit", "verify", "--checkpoint", "checkpoint.json")
    assert cut.code == 2 and "chỉ có 0 ký tự" in cut.err
