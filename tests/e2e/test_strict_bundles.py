"""Strict bundles (issue 16, item 4), through the installed script: a zip that holds an entry
twice, under an absolute or `..` name, outside the signed manifest, or different from its
listed digest is refused (exit 1) naming the entry, in both languages — release 0.1's
bundles too; a zip bomb is refused in a second or two, its verifier's memory measured as
the operating system counts it."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import warnings
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from unittest import mock

import pytest

from tests.e2e.conftest import CODE, Result, Run, kiemtra_script, ok
from tests.e2e.test_hardening_cli import MEASURED
from tests.forge import Parts, rewrite

FIXTURE = Path(__file__).parents[1] / "fixtures" / "release-0.1.0"
OLD_KEY = {"KIEMTRA_AUDIT_KEY": "kiemtra-release-fixture-0.1.0-audit-key"}
MB = 1024 * 1024
BOMB_MB = 1100


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A campaign with an attachment, its bundle and the commune's public key (xa.pub)."""
    where = tmp_path_factory.mktemp("xa")
    environ = {k: v for k, v in os.environ.items() if not k.startswith("KIEMTRA_")}
    environ.update({"KIEMTRA_ACTOR": "truong-to", "XDG_CONFIG_HOME": str(where / "config")})

    def kiemtra(*args: str) -> None:
        subprocess.run([kiemtra_script(), *args], cwd=where, env=environ, check=True,
                       capture_output=True, timeout=120)

    (where / "ke-hoach.toml").write_bytes(subprocess.run(
        [kiemtra_script(), "plan", "template"], env=environ, capture_output=True,
        check=True).stdout)
    (where / "bao-cao.txt").write_text("Báo cáo của Trung tâm\n", "utf-8")
    kiemtra("plan", "import", "ke-hoach.toml")
    kiemtra("notify", CODE, "hcc", "--on-site", "17/08/2026", "--date", "05/08/2026")
    kiemtra("report", CODE, "hcc", "--date", "13/08/2026", "--attach", "bao-cao.txt")
    kiemtra("audit", "export", CODE, "-o", "ho-so.zip")
    kiemtra("audit", "key", "show", "-o", "xa.pub")
    return where


def reviewer(tmp_path: Path) -> dict[str, str]:
    return {"XDG_CONFIG_HOME": str(tmp_path / "co-quan-kiem-tra")}


def copied(exported: Path, tmp_path: Path) -> Path:
    shutil.copy(exported / "xa.pub", tmp_path / "xa.pub")
    return Path(shutil.copy(exported / "ho-so.zip", tmp_path / "ho-so.zip"))


def remade(path: Path, entries: list[tuple[str, bytes]]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Duplicate name": the point of one forgery
        for name, data in entries:
            z.writestr(name, data)


def entries_of(path: Path) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(path) as z:
        return [(i.filename, z.read(i)) for i in z.infolist()]


def tampered_first(path: Path) -> None:
    """Two copies of events.jsonl, the tampered one first (a reader that takes the last
    copy checks the true one; a person who unzips sees the other)."""
    parts = entries_of(path)
    events = dict(parts)["events.jsonl"]
    remade(path, [("events.jsonl", events.replace(b"2026-08-17", b"2026-08-18", 1)), *parts])


def added(name: str) -> Callable[[Path], None]:
    def add(path: Path) -> None:
        remade(path, [*entries_of(path), (name, b"Ghi chu them\n")])

    return add


def changed_attachment(path: Path) -> None:
    """An attachment's bytes changed, its size kept: its listed digest no longer holds."""
    remade(path, [(n, bytes([d[0] ^ 1]) + d[1:] if n.startswith("attachments/") else d)
                  for n, d in entries_of(path)])


def changed_page(path: Path) -> None:
    """The review page's dates changed, its size kept (its listed digest no longer holds)."""
    remade(path, [(n, d.replace(b"17/08/2026", b"18/08/2026") if n == "index.html" else d)
                  for n, d in entries_of(path)])


FORGERIES = {
    "duplicate": (tampered_first, "events.jsonl", "có 2 bản trong tệp zip",
                  "the zip holds 2 entries named"),
    "unlisted": (added("ghi-chu.txt"), "ghi-chu.txt", "không được liệt kê trong manifest.json",
                 "is not listed in manifest.json"),
    "parent": (added("../x"), "../x", "trỏ ra ngoài thư mục giải nén (..)",
               "leads out of the folder it is unpacked in"),
    "absolute": (added("/etc/x"), "/etc/x", "là đường dẫn tuyệt đối", "is an absolute path"),
    "digest": (changed_attachment, "attachments/", "không khớp mã SHA-256 ghi trong manifest.json",
               "does not match its SHA-256 in manifest.json"),
    "page": (changed_page, "index.html", "không khớp mã SHA-256 ghi trong manifest.json",
             "does not match its SHA-256 in manifest.json"),
}


def refused(run: Run, *args: str, env: dict[str, str] | None = None
            ) -> tuple[Result, Result]:
    vi, en = run("--lang", "vi", *args, env=env), run("--lang", "en", *args, env=env)
    assert vi.code == en.code == 1, (vi.err, en.err)
    assert vi.out == en.out == "" and vi.err.count("\n") == en.err.count("\n") == 1
    assert vi.err.startswith("Gói xuất bị từ chối: ")
    assert en.err.startswith("The bundle is refused: ")
    return vi, en


@pytest.mark.parametrize("kind", sorted(FORGERIES))
def test_a_forged_bundle_is_refused_naming_the_entry(exported: Path, run: Run, tmp_path: Path,
                                                     kind: str) -> None:
    forge, entry, vi_words, en_words = FORGERIES[kind]
    bundle = copied(exported, tmp_path)
    forge(bundle)
    vi, en = refused(run, "audit", "verify", "--bundle", str(bundle), "--public-key", "xa.pub",
                     env=reviewer(tmp_path))
    assert f"“{entry}" in vi.err and vi_words in vi.err, vi.err
    assert f"'{entry}" in en.err and en_words in en.err, en.err
    refused(run, "audit", "verify", "--bundle", str(bundle), "--no-signature",
            env=reviewer(tmp_path))  # the zip's own checks need no key


def test_an_attachment_no_event_refers_to_is_refused(exported: Path, run: Run,
                                                     tmp_path: Path) -> None:
    """Listed in a manifest rewritten by someone without the key, seen without it."""
    bundle = copied(exported, tmp_path)
    content = "Tài liệu không thuộc hồ sơ\n".encode()
    name = f"attachments/{hashlib.sha256(content).hexdigest()}"
    rewrite(bundle, lambda parts: parts.update({name: content}))
    vi, en = refused(run, "audit", "verify", "--bundle", str(bundle), "--no-signature",
                     env=reviewer(tmp_path))
    assert f"tệp đính kèm “{name}” không được sự kiện nào trong gói nhắc đến" in vi.err
    assert f"the attachment '{name}' is referred to by no event in the bundle" in en.err
    signed = run("audit", "verify", "--bundle", str(bundle), "--public-key", "xa.pub",
                 env=reviewer(tmp_path))
    assert signed.code == 1 and "Chữ ký" in signed.err  # its manifest is not the one signed


def test_a_review_page_listed_again_is_not_the_one_signed(exported: Path, run: Run,
                                                          tmp_path: Path) -> None:
    """The page changed and listed again in the manifest, by someone without the key."""
    bundle = copied(exported, tmp_path)
    rewrite(bundle, lambda parts: parts.update(
        {"index.html": parts["index.html"].replace("Chưa thông báo".encode(), b"Xong")}))
    signed = run("audit", "verify", "--bundle", str(bundle), "--public-key", "xa.pub",
                 env=reviewer(tmp_path))
    assert signed.code == 1 and "Chữ ký" in signed.err, signed.err


def test_a_bundle_of_format_2_made_before_the_review_page_verifies(run: Run,
                                                                  tmp_path: Path) -> None:
    """The single-chain fixture's bundle (written by 703a0a9) holds no index.html."""
    single = Path(__file__).parents[1] / "fixtures" / "single-chain"
    with zipfile.ZipFile(single / "bundle.zip") as z:
        assert "index.html" not in z.namelist()
    ok(run("audit", "verify", "--bundle", str(single / "bundle.zip"), "--public-key",
           str(single / "public-key.pub"), env=reviewer(tmp_path)))


def test_an_entry_kiemtra_never_writes_is_refused_even_listed(exported: Path, run: Run,
                                                               tmp_path: Path) -> None:
    bundle = copied(exported, tmp_path)
    rewrite(bundle, lambda parts: parts.update({"ghi-chu.txt": b"x"}))  # listed, resealed
    vi, en = refused(run, "audit", "verify", "--bundle", str(bundle), "--no-signature")
    assert "mục “ghi-chu.txt” không phải một mục kiemtra ghi vào gói xuất" in vi.err
    assert "the entry 'ghi-chu.txt' is not one kiemtra writes in a bundle" in en.err


@pytest.mark.parametrize("kind", ["duplicate", "unlisted", "parent", "absolute"])
def test_release_0_1_0_bundles_get_the_same_structural_checks(run: Run, tmp_path: Path,
                                                              kind: str) -> None:
    forge, entry, vi_words, _ = FORGERIES[kind]
    bundle = Path(shutil.copy(FIXTURE / "bundle.zip", tmp_path / "bundle.zip"))
    assert run("audit", "verify", "--bundle", str(bundle), env=OLD_KEY).code == 0
    forge(bundle)
    vi, _ = refused(run, "audit", "verify", "--bundle", str(bundle), env=OLD_KEY)
    assert f"“{entry}" in vi.err and vi_words.replace(" ghi trong manifest.json", "") in vi.err


# --- zip bombs ----------------------------------------------------------------------------


ZERO = bytes(MB)


def write_zeros(z: zipfile.ZipFile, name: str, megabytes: int) -> None:
    """A deflated entry of `megabytes` MB of zeros, made in a second rather than a minute:
    after a full flush, a megabyte of zeros deflates to the same bytes every time, so they
    are computed once and handed to `zipfile` (which still counts the size and the CRC)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(ZERO) + compressor.flush(zlib.Z_FULL_FLUSH)
    tail = compressor.flush()

    class Repeated:
        def compress(self, data: bytes) -> bytes:
            assert data == ZERO
            return block

        def flush(self) -> bytes:
            return tail

    with mock.patch.object(zipfile, "_get_compressor", lambda *_: Repeated()), \
            z.open(name, "w", force_zip64=True) as entry:
        for _ in range(megabytes):
            entry.write(ZERO)


def bomb(source: Path, out: Path, name: str, replace: bool) -> None:
    """`source` with a 1.1 GB entry of zeros named `name` (in place of the entry of that
    name, or added to the others)."""
    with zipfile.ZipFile(source) as z, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as o:
        for info in z.infolist():
            if info.filename == name and replace:
                write_zeros(o, name, BOMB_MB)
            else:
                o.writestr(info.filename, z.read(info))
        if not replace:
            write_zeros(o, name, BOMB_MB)


def measured(where: Path, *args: str, env: dict[str, str]) -> tuple[int, int, float, str]:
    """(exit code, peak resident MB, seconds, stderr) of one run of the installed script,
    its memory counted by wait4 from a small interpreter of its own (tests/e2e/
    test_hardening_cli.py: a process forked from pytest would count pytest's memory)."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("KIEMTRA_")}
    environ.update({"KIEMTRA_ACTOR": "truong-to", **env})
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-S", "-c", MEASURED, kiemtra_script(), *args],
                          cwd=where, env=environ, capture_output=True, text=True, timeout=300,
                          check=True)
    code, megabytes = done.stdout.split()[-2:]
    return int(code), int(megabytes), time.monotonic() - started, done.stderr


@pytest.mark.parametrize(("name", "replace", "words"), [
    ("events.jsonl", True, "mục “events.jsonl” giải nén ra 1.100 MB, quá giới hạn 64 MB"),
    (f"attachments/{'0' * 64}", False, f"mục “attachments/{'0' * 64}” không được liệt kê"),
    ("chain.jsonl", True, "mục “chain.jsonl” có một dòng dài hơn 65.536 byte"),
])
def test_a_zip_bomb_is_refused_quickly_in_little_memory(exported: Path, tmp_path: Path,
                                                        name: str, replace: bool,
                                                        words: str) -> None:
    """1.1 GB of zeros in a zip of about 1 MB (before, such a bundle took 17 GB, or its
    events.jsonl 2.2 GB and 18 s, and a copy beside the true one passed)."""
    copied(exported, tmp_path)
    source = tmp_path / "ho-so.zip"
    if name == "chain.jsonl":  # listed as it is, with its digest: read, a line at a time
        digest = hashlib.sha256()
        for _ in range(BOMB_MB):
            digest.update(ZERO)

        def listed(parts: Parts) -> None:
            manifest = json.loads(parts["manifest.json"])
            manifest["entries"]["chain.jsonl"] = {"sha256": digest.hexdigest(),
                                                  "size": BOMB_MB * MB}
            parts["manifest.json"] = json.dumps(manifest).encode()
            checkpoint = json.loads(parts["checkpoint.json"])
            checkpoint["manifest_sha256"] = hashlib.sha256(parts["manifest.json"]).hexdigest()
            parts["checkpoint.json"] = json.dumps(checkpoint).encode()

        rewrite(source, listed, reseal=False)
    bomb(source, tmp_path / "bom.zip", name, replace)
    assert (tmp_path / "bom.zip").stat().st_size < 2 * MB
    args = ["audit", "verify", "--bundle", "bom.zip"]
    args += ["--no-signature"] if name == "chain.jsonl" else ["--public-key", "xa.pub"]
    code, megabytes, seconds, err = measured(tmp_path, *args, env=reviewer(tmp_path))
    assert code == 1 and words in err, err
    assert megabytes < 150, megabytes
    assert seconds < 10, seconds
    if name != "events.jsonl":  # (that one has a bound of its own, named first)
        total = measured(tmp_path, *args, env={**reviewer(tmp_path),
                                               "KIEMTRA_MAX_BUNDLE_MB": "1000"})
        assert total[0] == 1 and "tổng cộng 1.1" in total[3] and "giới hạn 1.000 MB" in total[3]
