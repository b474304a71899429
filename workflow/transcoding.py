"""How event attributes become JSON and back: the library's transcodings plus dates."""

from __future__ import annotations

from datetime import date

from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Transcoding,
    UUIDAsHex,
)


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


def register_transcodings(transcoder: JSONTranscoder) -> None:
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO(), DateAsISO()):
        transcoder.register(transcoding)


def transcoder() -> JSONTranscoder:
    made = JSONTranscoder()
    register_transcodings(made)
    return made
