"""Each kind of document rendered for real: `--pdf` through LibreOffice, then poppler's
tools read the pages as a reader would see them — A4, the embedded fonts (Times New Roman
or a metric twin, never a fallback), the Quốc hiệu on one line, page numbers from page 2,
and a signature block whole on one page.

Needs `soffice`, `pdfinfo`, `pdffonts` and `pdftotext` (Debian: libreoffice-writer-nogui,
fonts-liberation2, poppler-utils; `.ci/run` installs them). Without them the tests skip,
unless KIEMTRA_REQUIRE_RENDERING is set (as in CI): then they fail.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import CODE, Run, ok
from tests.e2e.test_documents_cli import walked  # noqa: F401  (the fixture)

TOOLS = ("soffice", "pdfinfo", "pdffonts", "pdftotext")
FONTS = ("TimesNewRoman", "LiberationSerif", "Tinos")  # the font or a metric-compatible twin


@pytest.fixture(autouse=True)
def rendering_tools() -> None:
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        if os.environ.get("KIEMTRA_REQUIRE_RENDERING"):
            pytest.fail(f"KIEMTRA_REQUIRE_RENDERING is set but {', '.join(missing)} is missing")
        pytest.skip(f"not installed: {', '.join(missing)}")


def tool(*args: str) -> str:
    return subprocess.run(args, capture_output=True, text=True, check=True, timeout=60).stdout


def pages(pdf: Path) -> list[str]:
    return tool("pdftotext", "-layout", str(pdf), "-").split("\f")[:-1]


CASES = [
    (("schedule", CODE, "hcc"), "thuong-truc", "TỔ TRƯỞNG", "Nguyễn Văn A"),
    (("minutes", CODE, "hcc"), "truong-to", "TỔ TRƯỞNG", "Nguyễn Văn A"),
    (("conclusion", CODE, "hcc"), "truong-to", "TỔ TRƯỞNG", "Nguyễn Văn A"),
    (("results", CODE, "--date", "15/10/2026"), "thuong-truc", "PHÓ CHỦ TỊCH", "Hà Thị Lan Anh"),
]


@pytest.mark.parametrize(("args", "actor", "signer_title", "signer_name"), CASES,
                         ids=[c[0][0] for c in CASES])
def test_each_kind_renders_as_nd30_wants(walked: Run, tmp_path: Path,  # noqa: F811
                                         args: tuple[str, ...], actor: str, signer_title: str,
                                         signer_name: str) -> None:
    if args[0] in ("minutes", "conclusion"):  # cite the documents before them
        ok(walked("document", "schedule", CODE, "hcc", actor="thuong-truc"))
    if args[0] == "conclusion":
        ok(walked("document", "minutes", CODE, "hcc"))
    made = ok(walked("--json", "document", *args, "--pdf", actor=actor)).json()
    pdf = Path(made["pdf_path"])
    assert pdf == Path(made["path"]).with_suffix(".pdf") and pdf.exists()

    info = tool("pdfinfo", str(pdf))
    assert re.search(r"Page size:\s+595\.\d+ x 841\.\d+ pts \(A4\)", info), info
    fonts = tool("pdffonts", str(pdf)).splitlines()[2:]
    assert fonts, "no fonts embedded"
    for line in fonts:
        name = line.split()[0].split("+")[-1]
        assert name.startswith(FONTS), f"a fallback font: {line}"
        assert " yes " in line, f"not embedded: {line}"

    text = pages(pdf)
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text[0]  # on one line
    assert "Độc lập - Tự do - Hạnh phúc" in text[0]
    assert made["symbol"] in text[0]
    for number, page in enumerate(text[1:], 2):
        assert page.strip().splitlines()[0].strip() == str(number)  # the page number on top
    assert not text[0].strip().splitlines()[0].strip().isdigit()  # none on page 1
    signed = [i for i, page in enumerate(text) if signer_name in page]
    titled = [i for i, page in enumerate(text) if signer_title in page]
    assert signed and signed[-1] in titled, "the signature block splits across pages"
