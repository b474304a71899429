"""Refusals of the application layer: the database, files, settings, concurrent writers.

Exit codes from the command-line contract: a database that cannot be opened, a file that
cannot be read or written and a bad setting are bad input (2); a write that lost a race
with another writer is a concurrent change (3): nothing was written, run it again.
"""

from __future__ import annotations

from kiemtra.domain.errors import CONCURRENT_CHANGE, InvalidInput, KiemtraError


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
