"""Bundles altered as someone with the zip but not the commune's secret key would."""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Callable
from pathlib import Path

Parts = dict[str, bytes]


def rewrite(path: Path, change: Callable[[Parts], None], reseal: bool = True) -> None:
    """The bundle's entries changed by `change`. With `reseal`, the forger covers the
    tracks he can: the manifest lists each entry's new digest and size, and the checkpoint
    the new manifest's digest — its signature, which he cannot make, then fails; without
    the key (`--no-signature`), the checks of the record's content are what is left."""
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    change(parts)
    if reseal and "checkpoint.json" in parts:
        manifest = json.loads(parts["manifest.json"])
        manifest["entries"] = {name: {"sha256": hashlib.sha256(data).hexdigest(),
                                      "size": len(data)} for name, data in sorted(parts.items())
                               if name not in ("manifest.json", "checkpoint.json",
                                               "checkpoint.json.minisig")}
        parts["manifest.json"] = json.dumps(manifest, ensure_ascii=False).encode()
        checkpoint = json.loads(parts["checkpoint.json"])
        checkpoint["manifest_sha256"] = hashlib.sha256(parts["manifest.json"]).hexdigest()
        parts["checkpoint.json"] = json.dumps(checkpoint, indent=2).encode() + b"\n"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
