"""The refusals of the domain, in Vietnamese and English, and the base every layer's
errors share.

Each error carries the rule or field it is about and an exit code from the
command-line contract, so a front end can print one plain sentence and exit right
without knowing the details. Dates in parameters are formatted per language:
DD/MM/YYYY in Vietnamese, ISO in English.

Domain messages speak of rules and facts only — never of a command, an option or an
environment variable, which belong to a front end: the CLI appends its own hint to a
message, keyed by the error's `rule` ("chạy “kiemtra reschedule” trước"), and names a
field the way its user typed it (`names`: "--reason" for the field "reason"). The errors
of the other layers (storage, files, keys, the audit chain) live in those layers, on
this same base.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, ClassVar

from kiemtra.domain.formats import YEARS, format_date
from kiemtra.domain.vocabulary import role_label, state_label, step_label

REFUSED = 1
BAD_INPUT = 2
CONCURRENT_CHANGE = 3


def format_value(value: Any, lang: str) -> str:
    if isinstance(value, date):
        return format_date(value, lang)
    if isinstance(value, (list, tuple)):
        return ", ".join(format_value(v, lang) for v in value)
    return str(value)


def in_language(value: Any, lang: str) -> str:
    """A (Vietnamese, English) pair picks its language; anything else is formatted."""
    if isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, str) for v in value):
        return str(value[0] if lang == "vi" else value[1])
    return format_value(value, lang)


class KiemtraError(Exception):
    """Base of every expected failure; never shown with a traceback."""

    exit_code: ClassVar[int] = REFUSED
    rule: ClassVar[str] = "error"
    vi: ClassVar[str] = "{detail}"
    en: ClassVar[str] = "{detail}"

    def __init__(self, **params: Any) -> None:
        self.params = params
        super().__init__(self.message("en"))

    def message(self, lang: str = "vi", names: Mapping[str, str] | None = None) -> str:
        """The sentence in `lang`; `names` maps field ids to what the reader calls them."""
        return (self.vi if lang == "vi" else self.en).format(**self.values(lang, names))

    def values(self, lang: str, names: Mapping[str, str] | None = None) -> dict[str, str]:
        """The parameters as text in `lang`: what a message (or a front end's hint) shows."""
        values = {k: in_language(v, lang) for k, v in self.params.items()}
        values.update(self.extra_values(lang, names or {}))
        return values

    def extra_values(self, lang: str, names: Mapping[str, str]) -> dict[str, str]:
        return {}


# --- exit code 1: refused by a workflow rule -------------------------------------------


class RuleViolation(KiemtraError):
    exit_code = REFUSED


class StepNotAllowed(RuleViolation):
    rule = "lifecycle"
    vi = (
        "Không thể thực hiện bước “{step_name}” khi cuộc kiểm tra đang ở trạng thái "
        "“{state_name}” (quy tắc: trình tự các bước). Bước tiếp theo được phép: {allowed_names}."
    )
    en = (
        "Step '{step}' is not allowed while the inspection is '{state}' "
        "(rule: workflow order). Allowed next steps: {allowed_names}."
    )

    def extra_values(self, lang: str, names: Mapping[str, str]) -> dict[str, str]:
        allowed = self.params.get("allowed") or []
        none = "không có" if lang == "vi" else "none"
        return {
            "step_name": step_label(self.params["step"], lang),
            "state_name": state_label(self.params["state"], lang),
            "allowed_names": ", ".join(f"{step_label(s, lang)} ({s})" for s in allowed) or none,
        }


class NoticeRequired(RuleViolation):
    rule = "notice_required"
    vi = "Chưa thông báo lịch kiểm tra cho đơn vị (quy tắc: thông báo trước khi kiểm tra)."
    en = "The unit has not been notified of the schedule (rule: notice before inspection)."


class ReportRequired(RuleViolation):
    rule = "report_required"
    vi = ("Đơn vị chưa nộp báo cáo (quy tắc: báo cáo trước khi kiểm tra trực tiếp, "
          "hạn {report_due}).")
    en = ("The unit has not submitted its report (rule: report before the on-site inspection, "
          "due {report_due}).")


class SurpriseNotAllowed(RuleViolation):
    rule = "surprise_without_notice"
    vi = ("Đơn vị đã được thông báo lịch kiểm tra nên không thể kiểm tra đột xuất "
          "(quy tắc: kiểm tra đột xuất không thông báo trước).")
    en = ("The unit was already notified, so this cannot be a surprise inspection "
          "(rule: a surprise inspection has no notice).")


class NothingToRemediate(RuleViolation):
    rule = "remediation_open_findings"
    vi = (
        "Kết luận kiểm tra không có tồn tại, hạn chế nào cần khắc phục "
        "(quy tắc: chỉ báo cáo khắc phục cho tồn tại còn mở)."
    )
    en = "The conclusion has no open findings to remediate (rule: remediation of open findings)."


class NoticeRule(RuleViolation):
    """A refusal that names the notice and report periods: their kinds in Vietnamese."""

    def extra_values(self, lang: str, names: Mapping[str, str]) -> dict[str, str]:
        def kind(key: str) -> str:
            return "ngày làm việc" if self.params.get(key) == "working" else "ngày"

        def period_en(days: str, key: str) -> str:  # "1 working day", "5 calendar days"
            count = self.params.get(days)
            unit = "day" if str(count) == "1" else "days"
            return f"{count} {self.params.get(key)} {unit}"

        return {"kind_vi": kind("kind"), "report_kind_vi": kind("report_kind"),
                "period_en": period_en("days", "kind"),
                "report_period_en": period_en("report_days", "report_kind")}


class NoticeTooLate(NoticeRule):
    rule = "notice_period"
    vi = (
        "Thông báo ngày {notice_date} quá muộn cho ngày kiểm tra {on_site} "
        "(quy tắc: thông báo trước ít nhất {days} {kind_vi}). "
        "Ngày kiểm tra sớm nhất được phép là {earliest}."
    )
    en = (
        "A notice on {notice_date} is too late for an on-site date of {on_site} "
        "(rule: notice at least {period_en} ahead). "
        "The earliest allowed on-site date is {earliest}."
    )


class NoDateLeftInPeriod(NoticeRule):
    rule = "notice_period"
    vi = ("Thông báo ngày {notice_date} không còn để được ngày kiểm tra nào trong thời gian "
          "kiểm tra của kế hoạch (đến {end}): theo quy tắc thông báo trước {days} {kind_vi} và "
          "báo cáo trước {report_days} {report_kind_vi}, ngày kiểm tra sớm nhất là {earliest}, "
          "sau thời gian kiểm tra.")
    en = ("A notice on {notice_date} leaves no on-site date within the plan's period (until "
          "{end}): with a notice of {period_en} and the report {report_period_en} "
          "before, the earliest visit is {earliest}, after the period.")


class StepBeforePlan(RuleViolation):
    rule = "before_plan"
    vi = ("Ngày {day} sớm hơn ngày ban hành kế hoạch ({issued_on}) (quy tắc: các bước thực "
          "hiện theo kế hoạch đã ban hành).")
    en = ("The date {day} is before the plan was issued ({issued_on}) (rule: steps follow the "
          "issued plan).")


class VisitOutsidePeriod(RuleViolation):
    rule = "outside_period"
    vi = ("Ngày kiểm tra {on_site} nằm ngoài thời gian kiểm tra của kế hoạch ({start} – "
          "{end}).")
    en = "The on-site date {on_site} is outside the plan's inspection period ({start} – {end})."


class OverrideByLeaderOnly(RuleViolation):
    rule = "override_leader"
    vi = ("Chỉ Tổ trưởng ({leader}) mới được dùng {override_option} để chấp thuận ngày ngoài "
          "quy định ({rules_vi}).")
    en = ("Only the leader ({leader}) may accept a date outside the rules ({rules}) with "
          "{override_option}.")

    def extra_values(self, lang: str, names: Mapping[str, str]) -> dict[str, str]:
        return {"override_option": names.get("override", "override"),
                "rules_vi": ", ".join(OVERRIDE_RULES_VI.get(x, x) for x in self.params["rules"]),
                "rules": ", ".join(OVERRIDE_RULES_EN.get(x, x) for x in self.params["rules"])}


class OverrideNotNeeded(RuleViolation):
    rule = "override_unneeded"
    vi = "Ngày đã đúng quy định, không cần {override_option}; bỏ tùy chọn này."
    en = "The dates keep every rule: {override_option} is not needed; leave it out."

    def extra_values(self, lang: str, names: Mapping[str, str]) -> dict[str, str]:
        return {"override_option": names.get("override", "override")}


OVERRIDE_RULES_VI = {"notice_period": "thời hạn thông báo trước",
                     "report_window": "thời hạn báo cáo sau thông báo",
                     "before_plan": "trước ngày ban hành kế hoạch",
                     "outside_period": "ngoài thời gian kiểm tra"}
OVERRIDE_RULES_EN = {"notice_period": "notice period", "report_window": "time for the report",
                     "before_plan": "before the plan was issued",
                     "outside_period": "outside the inspection period"}
"""The date rules the leader may set aside with a recorded reason, in words."""


class NoReportTime(NoticeRule):
    rule = "report_window"
    vi = (
        "Với ngày kiểm tra {on_site}, hạn nộp báo cáo ({report_days} {report_kind_vi} trước "
        "ngày kiểm tra) là {report_due}, không để cho đơn vị ít nhất 01 ngày làm việc sau "
        "ngày thông báo {notice_date} (quy tắc: thời hạn báo cáo sau thông báo). Ngày kiểm "
        "tra sớm nhất được phép là {earliest}."
    )
    en = (
        "With an on-site date of {on_site}, the report is due ({report_period_en} "
        "before the visit) on {report_due}, which leaves the unit no working day after "
        "the notice of {notice_date} (rule: time for the report after the notice). The "
        "earliest allowed on-site date is {earliest}."
    )


class NotAWorkingDay(RuleViolation):
    rule = "on_site_working_day"
    vi = ("Ngày {day} không phải ngày làm việc: {reason} (quy tắc: kiểm tra vào ngày làm "
          "việc). Ngày làm việc gần nhất {side_vi} là {next_working_day}.")
    en = ("{day} is not a working day: {reason_en} (rule: inspections on working days). "
          "The {side_en} working day is {next_working_day}.")

    def extra_values(self, lang: str, names: Mapping[str, str]) -> dict[str, str]:
        """The nearest working day offered is the next one, or, at the end of the plan's
        period, the one before."""
        after = self.params["next_working_day"] > self.params["day"]
        return {"side_vi": "sau đó" if after else "trước đó (trong thời gian kiểm tra)",
                "side_en": "next" if after else "nearest earlier (within the period)"}


class OnSiteDateMismatch(RuleViolation):
    rule = "on_site_date"
    vi = ("Lịch kiểm tra đã thông báo là ngày {scheduled}, không phải {given} "
          "(quy tắc: kiểm tra đúng lịch đã thông báo).")
    en = ("The notified on-site date is {scheduled}, not {given} "
          "(rule: inspect on the notified date).")


class AbsenceNotApproved(RuleViolation):
    rule = "absence_approval"
    vi = ("Thành viên vắng mặt ({absent}) phải được Tổ trưởng đồng ý (quy tắc: vắng mặt khi "
          "kiểm tra).")
    en = "Absent members ({absent}) need the leader's approval (rule: absence from the visit)."


class RoleNotPermitted(RuleViolation):
    """The actor is known but their role may not take this step."""

    rule = "roles"
    vi = (
        "“{actor}” ({role_name}) không được thực hiện bước “{step_name}” (quy tắc: phân quyền "
        "Tổ kiểm tra). Bước này do {allowed_names} thực hiện."
    )
    en = (
        "'{actor}' ({role_name}) may not take the step '{step}' (rule: team roles). "
        "This step is taken by: {allowed_names}."
    )

    def extra_values(self, lang: str, names: Mapping[str, str]) -> dict[str, str]:
        return {
            "role_name": role_label(self.params["role"], lang),
            "step_name": step_label(self.params["step"], lang),
            "allowed_names": ", ".join(role_label(r, lang) for r in self.params["allowed"]),
        }


class NotOwnUnit(RuleViolation):
    """A unit may report only for itself."""

    rule = "roles"
    vi = (
        "Đơn vị “{actor}” chỉ được thực hiện bước “{step_name}” cho chính mình, không cho đơn vị "
        "“{unit}” (quy tắc: phân quyền Tổ kiểm tra). Bước này cho “{unit}” do Tổ trưởng, "
        "Tổ phó, Cơ quan thường trực hoặc chính đơn vị “{unit}” thực hiện."
    )
    en = (
        "Unit '{actor}' may take the step '{step}' only for itself, not for unit '{unit}' "
        "(rule: team roles). For '{unit}' it is taken by the leader, the deputy, the "
        "secretariat or unit '{unit}' itself."
    )

    def extra_values(self, lang: str, names: Mapping[str, str]) -> dict[str, str]:
        return {"step_name": step_label(self.params["step"], lang)}


class SameOnSiteDate(RuleViolation):
    rule = "reschedule_changes_date"
    vi = "Ngày kiểm tra mới trùng với lịch hiện tại ({on_site}) (quy tắc: đổi lịch phải đổi ngày)."
    en = "The new on-site date equals the current one ({on_site}) (rule: a reschedule moves it)."


class DateBeforePreviousStep(RuleViolation):
    rule = "date_order"
    vi = (
        "Ngày {day} sớm hơn ngày của bước trước “{previous_step_name}” ({previous_date}) "
        "(quy tắc: các bước theo đúng thứ tự thời gian). "
        "Ngày sớm nhất được phép là {previous_date}."
    )
    en = (
        "{day} is earlier than the previous step '{previous_step}' on {previous_date} "
        "(rule: steps in date order). The earliest allowed date is {previous_date}."
    )

    def extra_values(self, lang: str, names: Mapping[str, str]) -> dict[str, str]:
        return {"previous_step_name": step_label(self.params["previous_step"], lang)}


class RemediationDeadlineTooEarly(RuleViolation):
    rule = "remediation_deadline"
    vi = (
        "Hạn khắc phục {remediate_by} không sau ngày kết luận {conclusion_date} "
        "(quy tắc: hạn khắc phục sau ngày kết luận). Ngày sớm nhất được phép là {earliest}."
    )
    en = (
        "The remediation deadline {remediate_by} is not after the conclusion date "
        "{conclusion_date} (rule: remediation deadline after conclusion). "
        "The earliest allowed date is {earliest}."
    )


class FindingAlreadyRemediated(RuleViolation):
    rule = "remediation_once"
    vi = (
        "Tồn tại số {finding} đã được báo cáo khắc phục ngày {reported_on} "
        "(quy tắc: mỗi tồn tại báo cáo khắc phục một lần)."
    )
    en = (
        "Finding {finding} was already reported remediated on {reported_on} "
        "(rule: each finding is reported once)."
    )


class NothingToUndo(RuleViolation):
    rule = "undo_nothing"
    vi = "Cuộc kiểm tra của đơn vị {unit} chưa có bước nào được ghi nhận để thu hồi."
    en = "The inspection of unit {unit} has no recorded step to retract."


class UndoBeforeStep(RuleViolation):
    rule = "undo_date"
    vi = ("Ngày thu hồi {day} trước ngày của bước bị thu hồi ({step_day}) (quy tắc: trình tự "
          "thời gian). Ngày sớm nhất được phép: {step_day}.")
    en = ("The retraction date {day} is before the date of the step it retracts ({step_day}) "
          "(rule: date order). Earliest allowed: {step_day}.")


class DocumentNotVoided(RuleViolation):
    rule = "undo_document"
    vi = ("Bước “{step_name}” đã có văn bản ban hành ({symbols}): chỉ thu hồi được bước này khi "
          "đồng thời ghi nhận văn bản đó hết hiệu lực (quy tắc: văn bản đã ban hành).")
    en = ("The step '{step_name}' has an issued document ({symbols}): it can be retracted only "
          "together with a note that the document is void (rule: issued documents).")

    def extra_values(self, lang: str, names: Mapping[str, str]) -> dict[str, str]:
        return {"step_name": step_label(self.params["step"], lang)}


# --- exit code 2: bad input -----------------------------------------------------------


class InvalidInput(KiemtraError):
    exit_code = BAD_INPUT
    rule = "input"


class Problem:
    """One invalid field of a file, described in both languages.

    `field` is where it is in the file, as a path ("units[1].email"); `place` says it as
    a person would ("đơn vị thứ 2 (kt), email", "unit 2 (kt), email"; empty when the
    sentence names it already). Without a place, the path is shown."""

    __slots__ = ("field", "vi", "en", "place")

    def __init__(self, field: str, vi: str, en: str,
                 place: tuple[str, str] | None = None) -> None:
        self.field, self.vi, self.en, self.place = field, vi, en, place

    def text(self, lang: str) -> str:
        said = self.vi if lang == "vi" else self.en
        where = self.field if self.place is None else self.place[0 if lang == "vi" else 1]
        return f"{where}: {said}" if where else said[:1].upper() + said[1:]

    def __repr__(self) -> str:
        return f"Problem({self.field!r}, {self.en!r})"


class InvalidFile(InvalidInput):
    """A plan or metrics file with one or more invalid fields."""

    rule = "file"
    kind_vi: ClassVar[str] = "Tệp"
    kind_en: ClassVar[str] = "File"
    vi = "{kind_vi} {source} không hợp lệ{problems}"
    en = "{kind_en} {source} is invalid{problems}"

    def __init__(self, source: str, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__(source=source, count=len(self.problems))

    def extra_values(self, lang: str, names: Mapping[str, str]) -> dict[str, str]:
        return {
            "kind_vi": self.kind_vi,
            "kind_en": self.kind_en,
            "problems": self.listed(lang),
        }

    def listed(self, lang: str) -> str:
        """One problem after a colon; several one per line, counted."""
        if len(self.problems) == 1:
            return f": {self.problems[0].text(lang)}"
        count = (f"{len(self.problems)} lỗi" if lang == "vi"
                 else f"{len(self.problems)} problems")
        return f" ({count}):" + "".join(f"\n  - {p.text(lang)}" for p in self.problems)


class InvalidPlan(InvalidFile):
    rule = "plan"
    kind_vi = "Tệp kế hoạch"
    kind_en = "Plan file"


class InvalidMetrics(InvalidFile):
    rule = "metrics"
    kind_vi = "Tệp số liệu báo cáo"
    kind_en = "Metrics file"


class BeyondCalendar(InvalidInput):
    """A deadline the rules would put after the last day the calendar knows (31/12/2100):
    refused, never computed on a calendar no one can vouch for."""

    rule = "calendar_range"
    vi = ("{what} tính từ ngày {start} rơi vào sau ngày {latest}, ngoài khoảng thời gian "
          "kiemtra tính được (các năm {years}).")
    en = ("{what} counted from {start} would fall after {latest}, outside the years "
          "kiemtra computes on ({years}).")

    def extra_values(self, lang: str, names: Mapping[str, str]) -> dict[str, str]:
        return {"years": YEARS}


class CampaignExists(InvalidInput):
    rule = "campaign_code"
    vi = "Kế hoạch có mã “{code}” đã có trong cơ sở dữ liệu (trường code); hãy dùng mã khác."
    en = "A campaign with code '{code}' already exists (field code); choose another code."


class AuthoritySpelledOtherwise(InvalidInput):
    """A plan's authority spelled otherwise than the same name already in the database:
    two origins, two hash chains, for one commune (`domain/origins.py`)."""

    rule = "authority"
    vi = ("Cơ quan ban hành “{given}” (trường authority) là “{known}” đã có trong cơ sở dữ "
          "liệu nhưng viết khác (chữ hoa, chữ thường hoặc vị trí dấu thanh); hãy viết đúng "
          "như “{known}”, để hồ sơ của cùng một xã, phường nằm trong một chuỗi băm.")
    en = ("The issuing authority '{given}' (field authority) is '{known}', already in the "
          "database, spelled otherwise (case or the place of a tone mark); write it as "
          "'{known}', so that one commune's records stay in one hash chain.")


class UnknownCampaign(InvalidInput):
    rule = "campaign"
    vi = "Không có kế hoạch kiểm tra nào có mã “{code}”."
    en = "No campaign has the code '{code}'."


class UnknownUnit(InvalidInput):
    rule = "unit"
    vi = "Kế hoạch “{campaign}” không có đơn vị “{unit}”. Các đơn vị: {known}."
    en = "Campaign '{campaign}' has no unit '{unit}'. Its units: {known}."


class UnknownMember(InvalidInput):
    rule = "member"
    vi = (
        "Tổ kiểm tra của kế hoạch “{campaign}” không có thành viên “{member}”. "
        "Thành viên: {known}."
    )
    en = "The team of campaign '{campaign}' has no member '{member}'. Members: {known}."


class UnknownActor(InvalidInput):
    rule = "actor"
    vi = (
        "Người thực hiện “{actor}”{actor_source} không có trong kế hoạch “{campaign}”: phải là "
        "mã một thành viên Tổ kiểm tra ({team}), mã cơ quan thường trực ({secretariat}) hoặc "
        "mã đơn vị tự thực hiện cho mình ({units})."
    )
    en = (
        "Actor '{actor}'{actor_source} is not named in campaign '{campaign}': it must be a team "
        "member id ({team}), the secretariat id ({secretariat}) or a unit code acting for "
        "itself ({units})."
    )

    def extra_values(self, lang: str, names: Mapping[str, str]) -> dict[str, str]:
        """Where the front end takes the actor from, if it says (the CLI: its option)."""
        source = names.get("actor_source")
        return {"actor_source": f" ({source})" if source else ""}


class UnknownFinding(InvalidInput):
    rule = "finding"
    vi = "Kết luận kiểm tra không có tồn tại số {finding}; các số hợp lệ: {known}."
    en = "The conclusion has no finding number {finding}; valid numbers: {known}."


class InvalidText(InvalidInput):
    """Free text (a reason, a finding, a note) that cannot be recorded."""

    rule = "text"
    vi = "Nội dung {field_name} không hợp lệ: {why_vi}."
    en = "The text of {field_name} is invalid: {why_en}."
    FIELDS: ClassVar[dict[str, tuple[str, str]]] = {
        "reason": ("lý do", "the reason"), "finding": ("tồn tại số", "finding"),
        "note": ("ghi chú", "the note"), "report_waiver": ("lý do miễn báo cáo",
                                                         "the report waiver"),
        "actor": ("người thực hiện", "the actor"),
    }

    def extra_values(self, lang: str, names: Mapping[str, str]) -> dict[str, str]:
        """`field` is a field id, `number` a finding's number; the front end may name the
        field its own way (the CLI: "--finding 1")."""
        field, number = self.params["field"], self.params.get("number")
        vi, en = self.FIELDS.get(field, (field, field))
        name = names.get(field) or (vi if lang == "vi" else en)
        return {"field_name": f"{name} {number}" if number is not None else name}
