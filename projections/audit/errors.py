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
        "after_gap": ("sự kiện không khớp chuỗi băm, ngay sau các vị trí trống {detail} — "
                      "sự kiện này đã bị sửa, hoặc một sự kiện ở các vị trí trống đã bị xóa "
                      "cùng mắt xích của nó", "the event does not match the hash chain, just "
                      "after the unused positions {detail} — it was changed, or an event at "
                      "those positions was deleted with its link"),
        "origin_chain_missing": ("các bảng chuỗi băm riêng của từng xã, phường (origin_chain, "
                                 "stream_origin) đã bị xóa",
                                 "the tables of the communes' own chains (origin_chain, "
                                 "stream_origin) were removed"),
        "origin_gap": ("chuỗi băm riêng của xã, phường thiếu mắt xích, từ số thứ tự {detail}",
                       "a commune's own chain is missing a link, from its number {detail}"),
        "origin_missing": ("sự kiện không có mắt xích trong chuỗi băm riêng của xã, phường nào",
                           "the event has no link in any commune's own chain"),
        "origin_moved": ("sự kiện nằm trong chuỗi riêng của một xã, phường khác với xã, phường "
                         "của dòng sự kiện của nó (bảng stream_origin đã bị sửa)",
                         "the event is in the chain of another commune than its stream's "
                         "(the stream_origin table was altered)"),
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
        "incomplete": ("gói xuất thiếu sự kiện — {detail}",
                       "the bundle is missing events — {detail}"),
        "foreign": ("gói xuất có sự kiện không thuộc kế hoạch này",
                    "the bundle holds an event of another campaign"),
    }

    def extra_values(self, lang: str, names: Mapping[str, str]) -> dict[str, str]:
        vi, en = self.KINDS[self.params["kind"]]
        return {"what": (vi if lang == "vi" else en).format(
            detail=in_language(self.params.get("detail", ""), lang))}


class SignatureInvalid(LogAltered):
    """A checkpoint's signature fails with the key it names: the checkpoint was edited
    after it was signed (or forged, naming the commune's key). The checkpoint is what is
    shown altered, not necessarily the record; `position` is the checkpoint's."""

    rule = "checkpoint_signature"
    vi = "{what} (quy tắc: chữ ký điểm kiểm tra)."
    en = "{what} (rule: checkpoint signature)."
    KINDS: ClassVar[dict[str, tuple[str, str]]] = {
        "signature": ("Chữ ký của {detail} không hợp lệ: điểm kiểm tra đã bị sửa sau khi ký, "
                      "hoặc không do khóa mà nó ghi ký", "The signature of {detail} is "
                      "invalid: the checkpoint was edited after it was signed, or was not "
                      "signed by the key it names"),
        "minisig": ("Tệp chữ ký {detail}.minisig không khớp {detail}: một trong hai tệp đã bị "
                    "sửa", "The signature file {detail}.minisig does not match {detail}: one "
                    "of the two was edited"),
    }


class BundleAltered(RuleViolation):
    """`audit verify --bundle` refused the zip itself: an entry that is doubled, badly
    named, not listed with its digest in the manifest, different from its digest, or too
    large to unpack. `entry` names it (shown with its control characters as codes)."""

    rule = "audit_bundle"
    vi = "Gói xuất bị từ chối: {what}."
    en = "The bundle is refused: {what}."
    KINDS: ClassVar[dict[str, tuple[str, str]]] = {
        "duplicate": ("mục “{entry}” có {detail} bản trong tệp zip, chỉ được có một",
                      "the zip holds {detail} entries named '{entry}', one is allowed"),
        "absolute": ("tên mục “{entry}” là đường dẫn tuyệt đối",
                     "the entry name '{entry}' is an absolute path"),
        "parent": ("tên mục “{entry}” trỏ ra ngoài thư mục giải nén (..)",
                   "the entry name '{entry}' leads out of the folder it is unpacked in (..)"),
        "unlisted": ("mục “{entry}” không được liệt kê trong manifest.json",
                     "the entry '{entry}' is not listed in manifest.json"),
        "unknown": ("mục “{entry}” không phải một mục kiemtra ghi vào gói xuất",
                    "the entry '{entry}' is not one kiemtra writes in a bundle"),
        "missing": ("thiếu mục “{entry}”", "the entry '{entry}' is missing"),
        "digest": ("nội dung mục “{entry}” không khớp mã SHA-256 ghi trong manifest.json",
                   "the entry '{entry}' does not match its SHA-256 in manifest.json"),
        "size": ("mục “{entry}” có {detail}, khác với kích thước ghi trong manifest.json",
                 "the entry '{entry}' holds {detail}, not the size manifest.json lists"),
        "manifest": ("manifest.json không khớp mã SHA-256 ghi trong điểm kiểm tra đã ký của gói "
                     "(checkpoint.json)", "manifest.json does not match the SHA-256 in the "
                     "bundle's signed checkpoint (checkpoint.json)"),
        "minisig": ("tệp chữ ký “{entry}” không khớp checkpoint.json",
                    "the signature file '{entry}' does not match checkpoint.json"),
        "unreferenced": ("tệp đính kèm “{entry}” không được sự kiện nào trong gói nhắc đến",
                         "the attachment '{entry}' is referred to by no event in the bundle"),
        "too_large": ("mục “{entry}” giải nén ra {detail}; không giải nén",
                      "the entry '{entry}' unpacks to {detail}; it is not unpacked"),
        "total": ("các mục giải nén ra {detail} (KIEMTRA_MAX_BUNDLE_MB); không giải nén",
                  "its entries unpack to {detail} (KIEMTRA_MAX_BUNDLE_MB); nothing is "
                  "unpacked"),
        "line": ("mục “{entry}” có một dòng dài hơn {detail}",
                 "the entry '{entry}' has a line longer than {detail}"),
        "method": ("mục “{entry}” được nén hoặc mã hóa theo cách kiemtra không dùng",
                   "the entry '{entry}' is compressed or encrypted in a way kiemtra does not "
                   "use"),
        "damaged": ("mục “{entry}” bị hỏng ({detail})",
                    "the entry '{entry}' is damaged ({detail})"),
    }

    def extra_values(self, lang: str, names: Mapping[str, str]) -> dict[str, str]:
        vi, en = self.KINDS[self.params["kind"]]
        return {"what": (vi if lang == "vi" else en).format(
            entry=shown_name(str(self.params.get("entry", ""))),
            detail=in_language(self.params.get("detail", ""), lang))}


def capitalized(text: str) -> str:
    """A label that starts a sentence ("điểm kiểm tra cp.json …" → "Điểm kiểm tra …")."""
    return text[:1].upper() + text[1:]


def shown_name(name: str) -> str:
    """A name from a file, its control and invisible characters shown as codes."""
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" if ord(c) < 256
                   else f"\\u{ord(c):04x}" for c in name)


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
        "Không có khóa chung (HMAC) để kiểm tra chữ ký của điểm kiểm tra hay gói xuất do "
        "kiemtra 0.1 tạo: đặt biến môi trường KIEMTRA_AUDIT_KEY (tệp khóa {path})."
    )
    en = (
        "There is no shared (HMAC) key to check a checkpoint or bundle made by kiemtra 0.1: "
        "set KIEMTRA_AUDIT_KEY (key file {path})."
    )


class KeyMismatch(InvalidInput):
    rule = "audit_key"
    vi = (
        "{What} được ký bằng khóa mã {signed_by}, còn khóa trên máy này có mã {mine}: cần "
        "đúng khóa đã ký (KIEMTRA_AUDIT_KEY) để kiểm tra chữ ký."
    )
    en = (
        "{What} was signed with key id {signed_by}, the key on this machine has id {mine}: "
        "the signing key (KIEMTRA_AUDIT_KEY) is needed to check the signature."
    )

    def extra_values(self, lang: str, names: Mapping[str, str]) -> dict[str, str]:
        return {"What": capitalized(in_language(self.params["what"], lang))}


class OtherSigner(InvalidInput):
    """A checkpoint/2 signed with another key than the public key given: the wrong public
    key file, or a checkpoint its holder did not make."""

    rule = "audit_key"
    vi = (
        "{What} được ký bằng khóa {signed_by}, không phải khóa công khai {mine} ({source}). "
        "Hãy kiểm tra {source} đúng là khóa công khai xã gửi kèm công văn; nếu đúng, chữ ký "
        "này không phải của xã."
    )
    en = (
        "{What} was signed with key {signed_by}, not with the public key {mine} ({source}). "
        "Check that {source} is the public key the commune sent with its official letter; if "
        "it is, this signature is not the commune's."
    )

    def extra_values(self, lang: str, names: Mapping[str, str]) -> dict[str, str]:
        return {"What": capitalized(in_language(self.params["what"], lang))}


class NoSigningKey(InvalidInput):
    rule = "audit_key"
    vi = "Chưa có khóa ký Ed25519 (tệp {path}); hãy tạo bằng “kiemtra audit key init”."
    en = "There is no Ed25519 signing key (file {path}); create it with 'kiemtra audit key init'."


class UnsafeKeyFile(InvalidInput):
    rule = "audit_key"
    vi = (
        "Tệp khóa bí mật {path} để nhóm hoặc người dùng khác truy cập được (quyền {mode}) nên "
        "không được dùng. Chạy “chmod 600 {path}” rồi thử lại."
    )
    en = (
        "The secret key file {path} is open to its group or other users (mode {mode}), so it "
        "is not used. Run 'chmod 600 {path}' and try again."
    )


class DamagedKeyFile(InvalidInput):
    rule = "audit_key"
    vi = "Không dùng được tệp khóa {path}: {reason}."
    en = "The key file {path} cannot be used: {reason}."


class InvalidPublicKey(InvalidInput):
    rule = "audit_key"
    vi = "Tệp “{path}” không phải khóa công khai của kiemtra (định dạng minisign): {reason}."
    en = "'{path}' is not a kiemtra public key (minisign's format): {reason}."


class PublicKeyRequired(InvalidInput):
    rule = "audit_key"
    vi = (
        "Cần khóa công khai của xã để kiểm tra chữ ký Ed25519 của {what}: thêm --public-key "
        "TỆP (tệp do “kiemtra audit key show -o” ghi, gửi kèm công văn)."
    )
    en = (
        "The commune's public key is needed to check the Ed25519 signature of {what}: add "
        "--public-key FILE (the file 'kiemtra audit key show -o' wrote, sent with the "
        "official letter)."
    )


class BundleKeyRequired(InvalidInput):
    rule = "audit_key"
    vi = (
        "Cần {key} để chứng minh gói xuất không bị dựng lại; thêm --no-signature nếu chỉ muốn "
        "kiểm tra tính nhất quán bên trong gói."
    )
    en = (
        "{key} is needed to prove the bundle was not rebuilt; add --no-signature to check "
        "only that the bundle is consistent in itself."
    )


class NoCommuneChains(InvalidInput):
    """`checkpoint --campaign` on a database from before the chains per commune, not yet
    opened by this version (the audit only reads: it never upgrades)."""

    rule = "no_commune_chains"
    vi = ("Cơ sở dữ liệu {db} chưa có chuỗi băm riêng của từng xã, phường: nó được ghi bởi "
          "phiên bản trước và chưa được phiên bản này mở. Chạy một lệnh bất kỳ (ví dụ "
          "“kiemtra status”) để nối các chuỗi đó, rồi làm lại; hoặc lấy điểm kiểm tra của "
          "cả nhật ký (bỏ --campaign).")
    en = ("The database {db} has no chains per commune yet: it was written by an earlier "
          "version and not opened by this one since. Run any command (e.g. 'kiemtra "
          "status') to make them, then try again; or take a checkpoint of the whole log "
          "(without --campaign).")


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
