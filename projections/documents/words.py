"""The fixed words of the documents that are not a template's: labels of the parts the
team writes itself, and the default Nơi nhận of each kind (DOCUMENTS.md)."""

from __future__ import annotations

TEXT_KEYS: dict[str, tuple[str, ...]] = {
    "schedule": (),
    "minutes": ("strengths", "weaknesses", "unit_opinion"),
    "conclusion": ("strengths", "causes"),
    "results": ("strengths", "weaknesses", "causes", "tasks", "proposals"),
}
"""The parts of each kind a person writes (`--text FILE`, a TOML file with these keys)."""

TEXT_LABELS = {
    "strengths": "Ưu điểm",
    "weaknesses": "Tồn tại, hạn chế",
    "causes": "Nguyên nhân",
    "unit_opinion": "Ý kiến của đơn vị được kiểm tra",
    "tasks": "Nhiệm vụ, giải pháp",
    "proposals": "Kiến nghị, đề xuất",
}

ROLE_NAMES = {"leader": "Tổ trưởng", "deputy": "Tổ phó", "member": "Thành viên"}
