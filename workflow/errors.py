"""Refusals of the application layer: the database, files, settings, concurrent writers.

Exit codes from the command-line contract: a database that cannot be opened, a file that
cannot be read or written and a bad setting are bad input (2); a write that lost a race
with another writer is a concurrent change (3): nothing was written, run it again.
"""

from __future__ import annotations

from kiemtra.domain.errors import CONCURRENT_CHANGE, REFUSED, InvalidInput, KiemtraError


class StorageUnavailable(InvalidInput):
    """A database that cannot be used for a reason given in both languages, a (vi, en)
    pair (a feature PostgreSQL lacks so far, a path that is no regular file…). The faults
    a person meets most (below) have a class and a sentence of their own."""

    rule = "database"
    vi = "Không mở được cơ sở dữ liệu {db}: {reason}."
    en = "Cannot open the database {db}: {reason}."


# --- what is at the path --db names (workflow/dbfile.py decides) ------------------------


class NoDatabaseNamed(InvalidInput):
    rule = "database_name"
    vi = "Tên cơ sở dữ liệu để trống, nên không biết đọc, ghi ở đâu."
    en = "The database name is empty, so there is nowhere to read or write."


class DatabaseIsFolder(InvalidInput):
    rule = "database_folder"
    vi = "{db} là một thư mục, không phải tệp cơ sở dữ liệu."
    en = "{db} is a folder, not a database file."


class DatabaseFolderMissing(InvalidInput):
    rule = "database_path"
    vi = "Không có thư mục {folder} để chứa cơ sở dữ liệu {db}."
    en = "There is no folder {folder} to hold the database {db}."


class NotADatabase(InvalidInput):
    rule = "database_not_sqlite"
    vi = ("Tệp {db} không phải là cơ sở dữ liệu SQLite (có thể là một tệp khác mang tên "
          "này); kiemtra không đọc, không ghi tệp này.")
    en = ("The file {db} is not a SQLite database (another kind of file under that name, "
          "perhaps); kiemtra neither reads nor writes it.")


class DamagedDatabase(InvalidInput):
    rule = "database_damaged"
    vi = ("Tệp cơ sở dữ liệu {db} bị hỏng ({why}); không có gì được ghi. Hãy khôi phục từ "
          "bản sao lưu.")
    en = ("The database file {db} is damaged ({why}); nothing was written. Restore it from "
          "a backup.")


class ForeignDatabase(InvalidInput):
    rule = "database_foreign"
    vi = ("Tệp {db} là cơ sở dữ liệu của một phần mềm khác, không phải của kiemtra; kiemtra "
          "không đọc và không ghi vào đó.")
    en = ("The file {db} is another application's database, not kiemtra's; kiemtra neither "
          "reads nor writes it.")


class NewerDatabase(InvalidInput):
    rule = "database_newer"
    vi = ("Cơ sở dữ liệu {db} đã được ghi bởi phiên bản mới hơn của kiemtra (định dạng dữ "
          "liệu {found}; phiên bản {version} này chỉ biết đến {known}), nên không ghi được vào "
          "đó. Hãy cập nhật kiemtra.")
    en = ("The database {db} was written by a newer version of kiemtra (data format {found}; "
          "this version, {version}, knows up to {known}), so it cannot be written. Update "
          "kiemtra.")


class NewerDatabaseNote(NewerDatabase):
    """Not raised: what a read of a newer database says beside its answer."""

    vi = ("Lưu ý: cơ sở dữ liệu {db} do phiên bản mới hơn của kiemtra ghi (định dạng dữ liệu "
          "{found}); phiên bản {version} này chỉ đọc, và có thể không hiện những gì nó chưa "
          "biết.")
    en = ("Note: the database {db} was written by a newer version of kiemtra (data format "
          "{found}); this version, {version}, only reads it, and may not show what it does "
          "not know.")


class ReadOnlyDatabase(InvalidInput):
    rule = "database_read_only"
    vi = "Cơ sở dữ liệu {db} chỉ đọc được ({why}); không ghi được."
    en = "The database {db} is read-only ({why}); nothing can be written to it."


class DatabaseNotCreated(InvalidInput):
    rule = "database_not_created"
    vi = "Không tạo được cơ sở dữ liệu {db}: {why}; không có gì được ghi."
    en = "Cannot create the database {db}: {why}; nothing was written."


class DatabaseFull(InvalidInput):
    rule = "database_full"
    vi = ("Ổ đĩa chứa cơ sở dữ liệu {db} đã đầy; không có gì được ghi. Hãy giải phóng dung "
          "lượng rồi chạy lại lệnh.")
    en = ("The disk holding the database {db} is full; nothing was written. Free some space "
          "and run the command again.")


class DatabaseIOError(InvalidInput):
    rule = "database_io"
    vi = ("Ổ đĩa báo lỗi khi đọc, ghi cơ sở dữ liệu {db}; không có gì được ghi. Hãy kiểm "
          "tra ổ đĩa rồi chạy lại lệnh.")
    en = ("The disk reported an error while reading or writing the database {db}; nothing "
          "was written. Check the disk and run the command again.")


class DatabaseUnreachable(InvalidInput):
    rule = "database_unreachable"
    vi = "Không kết nối được cơ sở dữ liệu {db}: {why}."
    en = "Cannot connect to the database {db}: {why}."


class DatabasePermission(InvalidInput):
    """The server refused a statement to the user kiemtra connects as (a reviewer's role
    granted too little, say): the object it named, in plain words."""

    rule = "database_permission"
    vi = ("Người dùng PostgreSQL {user} không có quyền trên {what_vi} của cơ sở dữ liệu {db}; "
          "đề nghị người quản trị cơ sở dữ liệu cấp quyền (GRANT).")
    en = ("The PostgreSQL user {user} has no permission on {what_en} of the database {db}; "
          "ask the database's administrator to grant it (GRANT).")


class WriteFunctionMissing(InvalidInput):
    """A PostgreSQL database an earlier kiemtra made has no write function yet, and the
    user kiemtra connects as may not create it (`postgres_store._ensure_function`)."""

    rule = "database_upgrade"
    vi = ("Cơ sở dữ liệu do phiên bản kiemtra trước tạo chưa có hàm ghi {function} của phiên "
          "bản này, và người dùng PostgreSQL đang kết nối không có quyền tạo hàm; không có "
          "gì được ghi. Đề nghị người sở hữu cơ sở dữ liệu chạy “kiemtra db init” một lần để "
          "nâng cấp.")
    en = ("The database, made by an earlier kiemtra, does not have this release's write "
          "function {function} yet, and the PostgreSQL user connected may not create it; "
          "nothing was written. Ask the database's owner to run 'kiemtra db init' once to "
          "upgrade it.")


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


class EventsRemoved(KiemtraError):
    """Refused (exit 1): the chain goes on past the last event: events were deleted."""

    exit_code = REFUSED
    rule = "events_removed"
    vi = ("Các sự kiện từ vị trí {position} đã bị xóa khỏi hồ sơ (chuỗi băm vẫn còn mắt xích "
          "của chúng), nên không ghi thêm sự kiện nào. Hãy khôi phục từ bản sao lưu; chạy "
          "“kiemtra audit verify” để xem.")
    en = ("The events from position {position} were deleted from the record (the hash chain "
          "still holds their links), so no event is written. Restore a backup; run "
          "'kiemtra audit verify' to see.")


class CommuneChainBroken(KiemtraError):
    """Refused (exit 1): a commune's own chain (`origin_chain`, `stream_origin`) lost the
    links or the commune of events already stored; `rechain` does not make those again."""

    exit_code = REFUSED
    rule = "commune_chain_broken"
    vi = ("Chuỗi băm riêng của xã, phường có sự kiện ở vị trí {position} đã bị xóa, làm trống "
          "hoặc cắt bớt, nên không ghi thêm sự kiện nào. Chạy “kiemtra audit verify” để "
          "xem, rồi khôi phục cơ sở dữ liệu từ bản sao lưu.")
    en = ("The own chain of the commune of the event at position {position} was removed, "
          "emptied or cut short, so no event is written. Run 'kiemtra audit verify' to see, "
          "then restore the database from a backup.")


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
