"""Refusals of the application layer: the database, files, settings, concurrent writers.

Exit codes from the command-line contract: a database that cannot be opened, a file that
cannot be read or written and a bad setting are bad input (2); a write that lost a race
with another writer is a concurrent change (3): nothing was written, run it again.
"""

from __future__ import annotations

from kiemtra.domain.errors import CONCURRENT_CHANGE, REFUSED, InvalidInput, KiemtraError


class StorageUnavailable(InvalidInput):
    rule = "database"
    vi = "Không mở được cơ sở dữ liệu {db}: {reason}."
    en = "Cannot open the database {db}: {reason}."


class UnreadableFile(InvalidInput):
    rule = "file"
    vi = "Không đọc được tệp {path}: {reason}."
    en = "Cannot read file {path}: {reason}."


class UnwritableFile(InvalidInput):
    rule = "file"
    vi = "Không ghi được tệp {path}: {reason}."
    en = "Cannot write file {path}: {reason}."


class OutputExists(InvalidInput):
    rule = "output_exists"
    vi = "Tệp {path} đã có; không ghi đè (dùng --force nếu muốn thay)."
    en = "The file {path} exists; it is not overwritten (use --force to replace it)."


class UnreadableEvent(InvalidInput):
    rule = "unreadable_event"
    vi = ("Không đọc được sự kiện đã lưu ở vị trí {position} (dữ liệu đã bị sửa hoặc hỏng), "
          "nên không ghi gì thêm vào hồ sơ này. Chạy “kiemtra audit verify” để kiểm tra.")
    en = ("The stored event at position {position} can no longer be read (the data was "
          "altered or damaged), so nothing was written to this record. Run 'kiemtra audit "
          "verify'.")


class ChainBroken(KiemtraError):
    """Refused (exit 1): the record's hash chain is missing from a position on."""

    exit_code = REFUSED
    rule = "chain_broken"
    vi = ("Chuỗi băm của hồ sơ đã bị xóa hoặc cắt bớt từ vị trí {position}, nên không ghi "
          "thêm sự kiện nào: chuỗi nối tiếp sẽ bảo đảm cho những sự kiện chưa ai kiểm tra. "
          "Chạy “kiemtra audit verify”; sau khi xem xét, có thể nối lại chuỗi bằng "
          "“kiemtra audit rechain --reason LÝ_DO” (việc này được ghi lại).")
    en = ("The record's hash chain was removed or cut short from position {position}, so "
          "no event is written: a chain that went on would vouch for events nobody "
          "checked. Run 'kiemtra audit verify'; once reviewed, the chain can be made again "
          "with 'kiemtra audit rechain --reason REASON' (which is recorded).")


class ChainIntact(KiemtraError):
    exit_code = REFUSED
    rule = "chain_intact"
    vi = "Chuỗi băm còn nguyên đến vị trí cuối ({position}); không có gì để nối lại."
    en = "The hash chain is whole up to the last position ({position}); nothing to rechain."


class ChainContradicted(KiemtraError):
    exit_code = REFUSED
    rule = "chain_contradicted"
    vi = ("Mắt xích của chuỗi băm ở vị trí {position} không khớp với sự kiện đã lưu: sự "
          "kiện đã bị sửa. Không nối lại chuỗi qua đó; hãy khôi phục bản sao lưu.")
    en = ("The chain's link at position {position} does not match the stored event: the "
          "event was changed. The chain is not made again over it; restore a backup.")


class InvalidSetting(InvalidInput):
    rule = "setting"
    vi = "Thiết lập {name} không hợp lệ: {detail}."
    en = "The setting {name} is invalid: {detail}."


class ConcurrentChange(KiemtraError):
    exit_code = CONCURRENT_CHANGE
    rule = "concurrency"
    vi = (
        "Người khác vừa ghi vào cùng dữ liệu (cùng cuộc kiểm tra, hoặc cơ sở dữ liệu đang "
        "bận); không có gì được ghi. Hãy chạy lại lệnh."
    )
    en = (
        "Someone else changed the same data at the same time (the same inspection, or the "
        "database was busy); nothing was written. Run the command again."
    )
