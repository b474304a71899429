"""A PDF of a document, through LibreOffice (`soffice --headless --convert-to pdf`).

LibreOffice is not a Python package: it is looked for on PATH (or `KIEMTRA_SOFFICE`),
before anything is recorded, so `--pdf` without it refuses with a plain sentence. Each
conversion runs with a profile of its own in a temporary folder, so two conversions at
once (or a LibreOffice the user has open) do not lock each other out.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from kiemtra.domain.errors import InvalidInput
from kiemtra.workflow import UnwritableFile

TIMEOUT = 180  # seconds: a first start of LibreOffice on a slow machine takes a while


class SofficeMissing(InvalidInput):
    rule = "soffice"
    vi = ("Không tìm thấy LibreOffice (lệnh soffice) để xuất PDF. Cài LibreOffice (Debian: "
          "apt install libreoffice-writer-nogui), hoặc bỏ --pdf và mở tệp DOCX bằng Word.")
    en = ("LibreOffice (the soffice command) was not found, so no PDF can be made. Install it "
          "(Debian: apt install libreoffice-writer-nogui), or drop --pdf and open the DOCX.")


def soffice() -> str | None:
    return os.environ.get("KIEMTRA_SOFFICE") or shutil.which("soffice") or shutil.which(
        "libreoffice")


def require_soffice() -> str:
    found = soffice()
    if not found or not Path(found).exists() and shutil.which(found) is None:
        raise SofficeMissing()
    return found


def pdf_of(name: str, docx: bytes) -> bytes:
    """The PDF of a document's DOCX bytes (`name` is the DOCX's file name, for messages).
    Made before the document is recorded, so a failed conversion records nothing."""
    program = require_soffice()
    target = str(Path(name).with_suffix(".pdf"))
    with tempfile.TemporaryDirectory(prefix="kiemtra-pdf-") as work:
        source = Path(work, name)
        source.write_bytes(docx)
        profile = Path(work, "profile").as_uri()
        try:
            done = subprocess.run(  # noqa: S603  (a fixed program, our own arguments)
                [program, f"-env:UserInstallation={profile}", "--headless", "--norestore",
                 "--convert-to", "pdf", "--outdir", work, str(source)],
                capture_output=True, timeout=TIMEOUT, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise UnwritableFile(path=target, reason=str(exc)) from None
        made = source.with_suffix(".pdf")
        if done.returncode != 0 or not made.exists():
            reason = (done.stderr or done.stdout).decode("utf-8", "replace").strip()[:200]
            raise UnwritableFile(path=target, reason=reason or "LibreOffice")
        return made.read_bytes()
