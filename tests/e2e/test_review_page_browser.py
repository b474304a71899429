"""A bundle's review page (index.html) opened in a real browser: a campaign walked through
the installed script, its bundle exported, the page taken out of the zip and given to
headless Chromium, which takes a screenshot and prints it to PDF; poppler's tools then read
the PDF as a reader would see it — A4, not blank, the headings, a unit, dates and the
Vietnamese diacritics intact.

Needs Chromium and poppler (`pdfinfo`, `pdftotext`, `pdftoppm`; Debian: chromium,
poppler-utils; `.ci/run` installs them). Without them the test skips, unless
KIEMTRA_REQUIRE_BROWSER is set (as in CI): then it fails.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import unicodedata
import zipfile
from pathlib import Path

import pytest

from tests.e2e.conftest import CODE, Run, ok

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
TOOLS = ("pdfinfo", "pdftotext", "pdftoppm")


@pytest.fixture
def browser() -> str:
    found = next((b for b in map(shutil.which, BROWSERS) if b), None)
    missing = [t for t in TOOLS if shutil.which(t) is None] + ([] if found else ["chromium"])
    if missing:
        if os.environ.get("KIEMTRA_REQUIRE_BROWSER"):
            pytest.fail(f"KIEMTRA_REQUIRE_BROWSER is set but {', '.join(missing)} is missing")
        pytest.skip(f"not installed: {', '.join(missing)}")
    assert found is not None
    return found


def tool(*args: str) -> str:
    return subprocess.run(args, capture_output=True, text=True, check=True, timeout=60).stdout


def walked(run: Run, tmp_path: Path) -> Path:
    """Phòng Kinh tế from its notice to a remediation, a finding corrected, a document
    issued; the campaign's bundle exported. Returns the page taken out of it."""
    (tmp_path / "bao-cao.txt").write_text("Báo cáo của Phòng Kinh tế\n", "utf-8")
    ok(run("notify", CODE, "kt", "--on-site", "12/08/2026", "--date", "03/08/2026",
           actor="thuong-truc"))
    ok(run("report", CODE, "kt", "--date", "11/08/2026", "--attach", "bao-cao.txt", actor="kt"))
    ok(run("inspect", CODE, "kt", "--date", "12/08/2026"))
    ok(run("minutes", CODE, "kt", "--date", "12/08/2026"))
    ok(run("conclude", CODE, "kt", "--date", "21/08/2026", "--finding", "Chưa niêm yết TTHC",
           "--finding", "Tỷ lệ hồ sơ trực tuyến toàn trình còn thấp"))
    ok(run("correct", CODE, "kt", "--step", "conclude", "--finding", "1", "--text",
           "Chưa niêm yết đầy đủ thủ tục hành chính", "--reason", "Ghi thiếu"))
    ok(run("remediate", CODE, "kt", "--finding", "1", "--date", "15/09/2026", "--note",
           "Đã niêm yết tại Bộ phận một cửa", actor="thuong-truc"))
    ok(run("document", "schedule", CODE, "kt", actor="thuong-truc"))
    ok(run("audit", "export", CODE, "-o", "ho-so.zip"))
    page = tmp_path / "nguoi-xem" / "index.html"
    page.parent.mkdir()
    with zipfile.ZipFile(tmp_path / "ho-so.zip") as z:
        page.write_bytes(z.read("index.html"))
    return page


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", data[:16]
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def inked(pgm: bytes) -> float:
    """The share of a greyscale page's pixels that are not paper (binary PGM, P5)."""
    magic, width, height, depth, pixels = pgm.split(maxsplit=4)
    assert magic == b"P5" and depth == b"255"
    count = int(width) * int(height)
    return sum(1 for value in pixels[:count] if value < 200) / count


def test_the_page_shows_and_prints_in_a_browser(imported: Run, tmp_path: Path,
                                                browser: str) -> None:
    page = walked(imported, tmp_path)
    shot, pdf = tmp_path / "trang.png", tmp_path / "trang.pdf"
    sandbox = ["--no-sandbox"] if os.geteuid() == 0 else []  # root: Chromium needs it
    subprocess.run([browser, "--headless", *sandbox, "--disable-gpu", "--hide-scrollbars",
                    f"--user-data-dir={tmp_path / 'chromium'}", "--no-pdf-header-footer",
                    "--window-size=1280,2000", f"--screenshot={shot}",
                    f"--print-to-pdf={pdf}", page.as_uri()],
                   capture_output=True, check=True, timeout=120)

    picture = shot.read_bytes()  # a blank 1280×2000 screenshot compresses to a few KB
    assert png_size(picture) == (1280, 2000) and len(picture) > 60_000, len(picture)

    info = tool("pdfinfo", str(pdf))
    assert re.search(r"Page size:\s+59[45]\.\d+ x 84[12]\.\d+ pts \(A4\)", info), info
    assert int(re.search(r"Pages:\s+(\d+)", info)[1]) >= 1  # type: ignore[index]
    first = tmp_path / "trang-1"
    tool("pdftoppm", "-gray", "-r", "30", "-f", "1", "-l", "1", str(pdf), str(first))
    (raster,) = tmp_path.glob("trang-1*.pgm")
    assert 0.01 < inked(raster.read_bytes()) < 0.5  # text on paper, neither blank nor black

    text = unicodedata.normalize("NFC", tool("pdftotext", "-layout", str(pdf), "-"))
    assert "\ufffd" not in text
    for words in ("ỦY BAN NHÂN DÂN XÃ KHÚC THỪA DỤ", "TỔNG HỢP HỒ SƠ TỰ KIỂM TRA",
                  "1. CÁCH KIỂM TRA HỒ SƠ NÀY", "DIỄN BIẾN, KẾT LUẬN VÀ KHẮC PHỤC",
                  "3.2. Phòng Kinh tế (kt)", "Ngày thực hiện", "Thời điểm ghi",
                  "Tồn tại, hạn chế", "Hạn khắc phục", "Đã niêm yết tại Bộ phận một cửa",
                  "VĂN BẢN ĐÃ BAN HÀNH", "01/TB-TKT", "kiemtra audit verify --bundle",
                  "minisign -Vm checkpoint.json"):
        assert words in text, words
    assert re.search(r"\b21/08/2026\b", text) and re.search(r"\b15/09/2026\b", text)
    assert "Trang 1/" in text  # the page's own footer, from its print style
