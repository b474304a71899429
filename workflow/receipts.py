"""What a recorded step says back: one sentence, in Vietnamese or English.

A step's service returns the inspection's status row; this names what was recorded,
the state it led to and what comes next, so every front end confirms a step the same
way (the CLI prints it; `--json` prints the row itself).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from kiemtra.domain.formats import format_date
from kiemtra.domain.vocabulary import state_label, step_label

Row = dict[str, Any]


def _day(value: str | None, lang: str) -> str:
    return format_date(date.fromisoformat(value), lang) if value else "-"


def _what(step: str, row: Row, lang: str, findings: Sequence[int]) -> tuple[str, str]:
    d = {k: _day(row.get(k), lang) for k in ("on_site", "report_due", "report_submitted_on",
                                             "inspected_on", "conclusion_due", "minutes_on",
                                             "concluded_on", "next_deadline")}
    late, n = row["report_late"], row["findings_total"]
    late_c = row["conclusion_late"]
    nums = ", ".join(str(x) for x in sorted(set(findings)))
    match step:
        case "notify":
            return (f"thông báo lịch kiểm tra ngày {d['on_site']}, hạn nộp báo cáo "
                    f"{d['report_due']}", f"schedule notice for {d['on_site']}, report due "
                    f"{d['report_due']}")
        case "reschedule":
            return (f"đổi lịch kiểm tra sang ngày {d['on_site']}, hạn nộp báo cáo "
                    f"{d['report_due']}", f"rescheduled to {d['on_site']}, report due "
                    f"{d['report_due']}")
        case "report":
            return (f"báo cáo nộp ngày {d['report_submitted_on']}, "
                    f"{'muộn' if late else 'đúng hạn'} (hạn {d['report_due']})",
                    f"report of {d['report_submitted_on']}, {'late' if late else 'on time'} "
                    f"(due {d['report_due']})")
        case "inspect":
            return (f"kiểm tra trực tiếp ngày {d['inspected_on']}, hạn kết luận "
                    f"{d['conclusion_due']}", f"on-site inspection on {d['inspected_on']}, "
                    f"conclusion due {d['conclusion_due']}")
        case "minutes":
            return (f"biên bản ký ngày {d['minutes_on']}", f"minutes signed on {d['minutes_on']}")
        case "conclude":
            return (f"kết luận ngày {d['concluded_on']}{' (muộn)' if late_c else ''}, {n} tồn "
                    f"tại" + (f", hạn khắc phục {d['next_deadline']}" if n else ""),
                    f"conclusion on {d['concluded_on']}{' (late)' if late_c else ''}, {n} "
                    f"findings" + (f", remediate by {d['next_deadline']}" if n else ""))
        case "remediate":
            return (f"đã khắc phục tồn tại số {nums}, còn {row['findings_open']} tồn tại mở",
                    f"findings {nums} remediated, {row['findings_open']} still open")
    return ("hủy cuộc kiểm tra", "inspection cancelled")


def receipt(step: str, row: Row, lang: str, findings: Sequence[int] = ()) -> str:
    """The sentence that confirms `step` was recorded, with the state and the next step."""
    vi, en = _what(step, row, lang, findings)
    moved = row.get("remediate_by_moved")
    if moved:
        vi += (f" (hạn khắc phục {_day(moved['from'], 'vi')} là ngày nghỉ nên chuyển sang ngày "
               f"làm việc tiếp theo {_day(moved['to'], 'vi')}, Điều 148 Bộ luật Dân sự)")
        en += (f" (the remediation deadline {_day(moved['from'], 'en')} is a day off, so it "
               f"moves to the next working day, {_day(moved['to'], 'en')}; Civil Code art. 148)")
    if row.get("override"):
        from kiemtra.domain.overrides import override_words

        vi += override_words(row["override"], "vi")
        en += override_words(row["override"], "en")
    nxt, due = row["next_step"], _day(row["next_deadline"], lang)
    if lang == "vi":
        tail = (f" Bước tiếp theo: {step_label(nxt)}" + (f", hạn {due}." if row["next_deadline"]
                                                         else ".")) if nxt else ""
        return (f"Đã ghi nhận — {row['campaign']}/{row['unit']} ({row['unit_name']}): {vi}. "
                f"Trạng thái: {state_label(row['state'])}.{tail}")
    tail = (f" Next: {step_label(nxt, 'en')}" + (f", due {due}." if row["next_deadline"]
                                                 else ".")) if nxt else ""
    return (f"Recorded — {row['campaign']}/{row['unit']}: {en}. "
            f"State: {state_label(row['state'], 'en')}.{tail}")
