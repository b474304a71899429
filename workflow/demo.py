"""`kiemtra demo`: a whole campaign walked through realistic dates.

It uses the example plan of Khúc Thừa Dụ commune (the same file as
`kiemtra plan template`) and the same services as the real commands, so what
the newcomer sees is exactly what the product does.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from kiemtra.domain.errors import InvalidInput
from kiemtra.workflow.database import Database
from kiemtra.workflow.services import Workflow
from kiemtra.workflow.store import EventStore, open_store

LEADER = "truong-to"
DEPUTY = "pho-to"
SECRETARIAT = "thuong-truc"
D = date


@dataclass(frozen=True)
class DemoStep:
    actor: str
    unit: str
    step: str
    day: date
    say_vi: str
    say_en: str


class DemoNeedsNewDatabase(InvalidInput):
    rule = "demo_database"
    vi = "Cơ sở dữ liệu {db} đã có dữ liệu; bản chạy thử cần cơ sở dữ liệu mới."
    en = "The database {db} is not empty; the demo needs a new one."


DEMO_DOCUMENTS: tuple[tuple[str, str | None, str, date], ...] = (
    ("schedule", "hcc", SECRETARIAT, D(2026, 8, 5)),
    ("minutes", "hcc", LEADER, D(2026, 8, 17)),
    ("conclusion", "hcc", LEADER, D(2026, 8, 27)),
    ("results", None, SECRETARIAT, D(2026, 10, 15)),
)
"""The documents the demo issues after its walk: (kind, unit, who, dated)."""


def demo_database(given: Database | None) -> Database:
    """Where the demo runs: the database the user named, if it holds nothing yet, else
    (none named) a new one in a temporary folder, left for the user to explore."""
    if given is None:
        return Database(str(Path(tempfile.mkdtemp(prefix="kiemtra-demo-")) / "kiemtra.db"))
    if given.exists():
        store = open_store(given)
        try:
            if store.event_count() > 0:
                raise DemoNeedsNewDatabase(db=given.label())  # never a password
        finally:
            store.close()
    return given


def template_text() -> str:
    return resources.files("kiemtra.workflow").joinpath("plan_template.toml").read_text("utf-8")


def metrics_text() -> str:
    return resources.files("kiemtra.workflow").joinpath("demo_metrics_hcc.toml").read_text("utf-8")


def run_demo(store: EventStore) -> Iterator[DemoStep]:
    """Import the example plan and take every unit through its year; yields each step.

    The sample files attached along the way are written to a temporary folder, removed
    at the end: they are stored in the database.
    """
    with tempfile.TemporaryDirectory(prefix="kiemtra-demo-files-") as folder:
        yield from _walk(store, Path(folder))


def _walk(store: EventStore, workdir: Path) -> Iterator[DemoStep]:
    metrics = workdir / "so-lieu-hcc.toml"
    metrics.write_text(metrics_text(), "utf-8")
    report_file = workdir / "bao-cao-vhxh.txt"
    report_file.write_text("Báo cáo kết quả thực hiện công tác cải cách hành chính "
                           "năm 2026 của Phòng Văn hóa - Xã hội.\n", "utf-8")
    minutes_file = workdir / "bien-ban-hcc.txt"
    minutes_file.write_text("Biên bản kiểm tra công tác cải cách hành chính tại Trung tâm "
                            "Phục vụ hành chính công xã, ngày 17/08/2026.\n", "utf-8")

    leader = Workflow(store, LEADER)
    deputy = Workflow(store, DEPUTY)
    secretariat = Workflow(store, SECRETARIAT)
    member_kt = Workflow(store, "tv-kt")
    member_hcc = Workflow(store, "tv-hcc")
    unit_kt = Workflow(store, "kt")  # a unit may send its own report
    plan = leader.import_plan(template_text(), "plan_template.toml", D(2026, 6, 15))
    code = plan.code
    yield DemoStep(LEADER, "", "import", D(2026, 6, 15),
                   f"Nhập kế hoạch {code}: {len(plan.units)} đơn vị, Tổ kiểm tra "
                   f"{len(plan.team)} người",
                   f"Imported plan {code}: {len(plan.units)} units, a team of {len(plan.team)}")

    def step(who: Workflow, unit: str, name: str, day: date, vi: str, en: str,
             call: Callable[[], Any]) -> DemoStep:
        call()
        return DemoStep(who.actor, unit, name, day, vi, en)

    # Văn phòng: a surprise inspection, two findings, both remediated.
    yield step(leader, "vp", "inspect", D(2026, 8, 10),
               "Kiểm tra đột xuất, không thông báo trước", "Surprise inspection, no notice",
               lambda: leader.inspect(code, "vp", day=D(2026, 8, 10), surprise=True))
    yield step(leader, "vp", "minutes", D(2026, 8, 10), "Ký biên bản kiểm tra", "Minutes signed",
               lambda: leader.minutes(code, "vp", day=D(2026, 8, 10)))
    yield step(leader, "vp", "conclude", D(2026, 8, 14), "Kết luận: 2 tồn tại, hạn khắc phục "
               "30 ngày", "Conclusion: 2 findings, 30 days to fix",
               lambda: leader.conclude(code, "vp", day=D(2026, 8, 14), findings=[
                   "Chưa công khai đầy đủ thủ tục hành chính tại bộ phận một cửa",
                   "Sổ theo dõi văn bản đến chưa cập nhật kịp thời",
               ]))
    yield step(secretariat, "vp", "remediate", D(2026, 9, 8), "Báo cáo khắc phục tồn tại 1",
               "Finding 1 remediated",
               lambda: secretariat.remediate(code, "vp", findings=[1], day=D(2026, 9, 8)))
    yield step(secretariat, "vp", "remediate", D(2026, 9, 11), "Báo cáo khắc phục tồn tại 2",
               "Finding 2 remediated",
               lambda: secretariat.remediate(code, "vp", findings=[2], day=D(2026, 9, 11),
                                             note="Đã cập nhật sổ theo dõi đến 10/9/2026"))

    # Phòng Kinh tế: the report arrives a day late; no findings.
    yield step(secretariat, "kt", "notify", D(2026, 8, 3), "Thông báo lịch: kiểm tra 12/08/2026",
               "Notice: on-site 2026-08-12",
               lambda: secretariat.notify(code, "kt", on_site=D(2026, 8, 12), day=D(2026, 8, 3)))
    yield step(unit_kt, "kt", "report", D(2026, 8, 12), "Đơn vị tự nộp báo cáo, muộn (hạn "
               "11/08/2026)", "The unit files its own report, late (due 2026-08-11)",
               lambda: unit_kt.report(code, "kt", day=D(2026, 8, 12)))
    yield step(leader, "kt", "inspect", D(2026, 8, 12), "Kiểm tra trực tiếp", "On-site visit",
               lambda: leader.inspect(code, "kt", day=D(2026, 8, 12)))
    yield step(member_kt, "kt", "minutes", D(2026, 8, 12), "Thành viên ghi nhận biên bản đã ký",
               "A member records the signed minutes",
               lambda: member_kt.minutes(code, "kt", day=D(2026, 8, 12)))
    yield step(leader, "kt", "conclude", D(2026, 8, 21), "Kết luận: không có tồn tại",
               "Conclusion: no findings",
               lambda: leader.conclude(code, "kt", day=D(2026, 8, 21)))

    # Phòng Văn hóa - Xã hội: rescheduled; one finding still open.
    yield step(secretariat, "vhxh", "notify", D(2026, 8, 4), "Thông báo lịch: kiểm tra "
               "14/08/2026", "Notice: on-site 2026-08-14",
               lambda: secretariat.notify(code, "vhxh", on_site=D(2026, 8, 14),
                                          day=D(2026, 8, 4)))
    yield step(deputy, "vhxh", "reschedule", D(2026, 8, 10), "Tổ phó đổi lịch sang 20/08/2026",
               "The deputy reschedules to 2026-08-20",
               lambda: deputy.reschedule(code, "vhxh", on_site=D(2026, 8, 20), day=D(2026, 8, 10),
                                         reason="Trùng lịch tiếp công dân định kỳ của "
                                                "Ủy ban nhân dân xã"))
    yield step(secretariat, "vhxh", "report", D(2026, 8, 18), "Nhận báo cáo đúng hạn, kèm tệp",
               "Report received on time, with a file",
               lambda: secretariat.report(code, "vhxh", day=D(2026, 8, 18),
                                          attach=[str(report_file)]))
    yield step(leader, "vhxh", "inspect", D(2026, 8, 20), "Kiểm tra trực tiếp", "On-site visit",
               lambda: leader.inspect(code, "vhxh", day=D(2026, 8, 20)))
    yield step(leader, "vhxh", "minutes", D(2026, 8, 20), "Ký biên bản kiểm tra",
               "Minutes signed", lambda: leader.minutes(code, "vhxh", day=D(2026, 8, 20)))
    yield step(leader, "vhxh", "conclude", D(2026, 9, 3), "Kết luận: 2 tồn tại",
               "Conclusion: 2 findings",
               lambda: leader.conclude(code, "vhxh", day=D(2026, 9, 3), findings=[
                   "Chưa ban hành kế hoạch tuyên truyền cải cách hành chính năm 2026",
                   "Hồ sơ lưu trữ cải cách hành chính chưa đầy đủ",
               ]))
    yield step(secretariat, "vhxh", "remediate", D(2026, 9, 25), "Báo cáo khắc phục tồn tại 1; "
               "tồn tại 2 còn mở", "Finding 1 remediated; finding 2 still open",
               lambda: secretariat.remediate(code, "vhxh", findings=[1], day=D(2026, 9, 25)))

    # Trung tâm Phục vụ hành chính công: report with figures, one absence, one finding.
    yield step(secretariat, "hcc", "notify", D(2026, 8, 5), "Thông báo lịch: kiểm tra "
               "17/08/2026", "Notice: on-site 2026-08-17",
               lambda: secretariat.notify(code, "hcc", on_site=D(2026, 8, 17), day=D(2026, 8, 5)))
    yield step(secretariat, "hcc", "report", D(2026, 8, 13), "Nhận báo cáo kèm số liệu",
               "Report received with figures",
               lambda: secretariat.report(code, "hcc", day=D(2026, 8, 13),
                                          metrics_file=str(metrics)))
    yield step(leader, "hcc", "inspect", D(2026, 8, 17), "Kiểm tra trực tiếp; thành viên tv-vp "
               "vắng mặt (Tổ trưởng đồng ý)", "On-site visit; member tv-vp absent (approved)",
               lambda: leader.inspect(code, "hcc", day=D(2026, 8, 17), absent=["tv-vp"]))
    yield step(member_hcc, "hcc", "minutes", D(2026, 8, 17), "Ký biên bản kiểm tra, kèm tệp",
               "Minutes signed, with a file",
               lambda: member_hcc.minutes(code, "hcc", day=D(2026, 8, 17),
                                          attach=[str(minutes_file)]))
    yield step(leader, "hcc", "conclude", D(2026, 8, 27), "Kết luận: 1 tồn tại, hạn "
               "30/09/2026", "Conclusion: 1 finding, fix by 2026-09-30",
               lambda: leader.conclude(code, "hcc", day=D(2026, 8, 27), remediate_by=D(2026, 9, 30),
                                       findings=["Tỷ lệ hồ sơ trực tuyến toàn trình còn thấp"]))
    yield step(secretariat, "hcc", "remediate", D(2026, 9, 28), "Báo cáo khắc phục tồn tại 1",
               "Finding 1 remediated",
               lambda: secretariat.remediate(code, "hcc", findings=[1], day=D(2026, 9, 28)))
