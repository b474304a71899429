"""Refusals of the audit trail: an altered record, a bad checkpoint or bundle, keys.

`LogAltered` is exit code 1 (the record failed a rule: the hash chain); a checkpoint or
bundle that is not one, a missing or different key, an unknown attachment, unit or event
name are bad input (2).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from kiemtra.domain.errors import InvalidInput, RuleViolation, in_language


class LogAltered(RuleViolation):
    """`audit verify` found the record altered; `position` is the first place it differs."""

    rule = "audit_chain"
    vi = ("Hồ sơ sự kiện đã bị thay đổi tại vị trí {position}: {what} "
          "(quy tắc: chuỗi băm của nhật ký).")
    en = ("The event record was altered at position {position}: {what} "
          "(rule: audit hash chain).")
    KINDS: ClassVar[dict[str, tuple[str, str]]] = {
        "changed": ("sự kiện không khớp chuỗi băm — đã bị sửa, hoặc bị đổi chỗ với sự kiện khác",
                    "the event does not match the hash chain — changed, or swapped with another"),
        "inserted": ("sự kiện không có mắt xích trong chuỗi băm — đã bị chèn thêm",
                     "the event has no link in the hash chain — it was inserted"),
        "deleted": ("sự kiện ở vị trí này đã bị xóa", "the event at this position was deleted"),
        "chain_missing": ("bảng chuỗi băm (event_chain) đã bị xóa hoặc làm trống",
                          "the hash chain table (event_chain) was removed or emptied"),
        "unreadable": ("không đọc được sự kiện đã lưu", "the stored event cannot be read"),
        "attachment": ("nội dung tệp đính kèm {detail} không còn khớp mã SHA-256 của nó",
                       "attachment {detail} no longer matches its SHA-256"),
        "attachment_missing": ("tệp đính kèm {detail} không còn trong cơ sở dữ liệu",
                               "attachment {detail} is missing from the database"),
        "documents": ("danh sách văn bản trong manifest.json khác với các sự kiện ban hành "
                      "văn bản ({detail})", "the documents listed in manifest.json differ "
                      "from the events that issued them ({detail})"),
        "truncated": ("hồ sơ bị cắt ngắn — {detail}", "the log was cut short — {detail}"),
        "rewritten": ("chuỗi băm khác với {detail} — hồ sơ đã bị viết lại hoặc khôi phục từ bản "
                      "sao lưu cũ", "the chain differs from {detail} — the log was rewritten or "
                      "restored from an old backup"),
        "signature": ("chữ ký của {detail} không hợp lệ (điểm kiểm tra bị sửa hoặc ký bằng khóa "
                      "khác)", "the signature of {detail} is invalid (the checkpoint was edited "
                      "or signed with another key)"),
        "incomplete": ("gói xuất thiếu sự kiện — {detail}",
                       "the bundle is missing events — {detail}"),
        "foreign": ("gói xuất có sự kiện không thuộc kế hoạch này",
                    "the bundle holds an event of another campaign"),
    }

    def extra_values(self, lang: str, names: Mapping[str, str]) -> dict[str, str]:
        vi, en = self.KINDS[self.params["kind"]]
        return {"what": (vi if lang == "vi" else en).format(
            detail=in_language(self.params.get("detail", ""), lang))}


class UnreadableRecord(RuleViolation):
    rule = "audit_chain"
    vi = ("Không đọc được dữ liệu đã lưu của kế hoạch “{code}”; chạy “kiemtra audit verify” "
          "để biết vị trí bị thay đổi.")
    en = ("The stored data of campaign '{code}' cannot be read; run 'kiemtra audit verify' "
          "to find the position that was altered.")


class InvalidAttachmentName(InvalidInput):
    rule = "sha256"
    vi = ("“{value}” không phải mã SHA-256 (64 chữ số hệ mười sáu, hoặc 8 chữ số đầu trở "
          "lên của một mã).")
    en = ("'{value}' is not a SHA-256 (64 hexadecimal digits, or the first 8 or more of "
          "one).")


class AmbiguousAttachment(InvalidInput):
    rule = "sha256"
    vi = "Có nhiều tệp đính kèm có mã bắt đầu bằng {prefix} ({codes}); hãy gõ thêm chữ số."
    en = "Several attachments have codes beginning {prefix} ({codes}); type more digits."


class UnknownAttachment(InvalidInput):
    rule = "sha256"
    vi = ("Không có tệp đính kèm nào có mã SHA-256 {sha256}. Mã của các tệp có trong "
          "“kiemtra audit” và “kiemtra history”.")
    en = ("No attachment has the SHA-256 {sha256}. The codes are listed by 'kiemtra audit' "
          "and 'kiemtra history'.")


class NoAuditKey(InvalidInput):
    rule = "audit_key"
    vi = (
        "Không có khóa ký điểm kiểm tra: đặt biến môi trường KIEMTRA_AUDIT_KEY, hoặc tạo khóa "
        "bằng “kiemtra audit checkpoint” (tệp khóa {path})."
    )
    en = (
        "No checkpoint signing key: set KIEMTRA_AUDIT_KEY, or create the key with "
        "'kiemtra audit checkpoint' (key file {path})."
    )


class KeyMismatch(InvalidInput):
    rule = "audit_key"
    vi = (
        "{what} được ký bằng khóa mã {signed_by}, còn khóa trên máy này có mã {mine}: cần "
        "đúng khóa đã ký (KIEMTRA_AUDIT_KEY) để kiểm tra chữ ký."
    )
    en = (
        "{what} was signed with key id {signed_by}, the key on this machine has id {mine}: "
        "the signing key (KIEMTRA_AUDIT_KEY) is needed to check the signature."
    )


class BundleKeyRequired(InvalidInput):
    rule = "audit_key"
    vi = (
        "Cần khóa ký (KIEMTRA_AUDIT_KEY) để chứng minh gói xuất không bị dựng lại; thêm "
        "--no-signature nếu chỉ muốn kiểm tra tính nhất quán bên trong gói."
    )
    en = (
        "The signing key (KIEMTRA_AUDIT_KEY) is needed to prove the bundle was not rebuilt; "
        "add --no-signature to check only that the bundle is consistent in itself."
    )


class InvalidCheckpoint(InvalidInput):
    rule = "checkpoint"
    vi = "Tệp “{path}” không phải điểm kiểm tra hay gói xuất hợp lệ của kiemtra: {reason}."
    en = "'{path}' is not a valid kiemtra checkpoint or bundle: {reason}."


class UnknownUnitAnywhere(InvalidInput):
    rule = "unit"
    vi = "Không kế hoạch nào có đơn vị “{unit}”."
    en = "No campaign has a unit '{unit}'."


class UnknownEventName(InvalidInput):
    rule = "event"
    vi = "Không có loại sự kiện hay bước “{name}”. Các giá trị: {known}."
    en = "No event or step is called '{name}'. Known: {known}."
