"""Stored event state as JSON-ready data: dates and timestamps kept as their ISO text.

The event store's transcoder turns every `{"_type_": …, "_data_": …}` object back
into a Python value through a per-object hook; the views want the text anyway
(ISO dates sort and compare as the dates do, and are how the view tables store
them), so these decoders skip the hook. Used by the full rebuild, for every event,
and by the readers that fetch a campaign's plan from its `PlanImported` event.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import orjson

# Attributes of inspection and delivery events that hold a date or a timestamp,
# stored as {"_type_": "date_iso", "_data_": "…"}; a test checks the list is complete.
MOMENT_KEYS = frozenset({
    "timestamp", "effective_date", "planned_on_site", "notice_due", "on_site", "report_due",
    "previous_on_site", "conclusion_due", "due", "claimed_at", "at", "retry_after",
})


# The moments the views read from each event (what `evolve` and `evolve_delivery` copy
# into a row): only these are unwrapped when a whole log is folded. A test checks them.
EVENT_MOMENTS: dict[str, tuple[str, ...]] = {
    "Planned": ("effective_date", "planned_on_site", "notice_due"),
    "NoticeIssued": ("effective_date", "on_site", "report_due"),
    "Rescheduled": ("effective_date", "on_site", "report_due"),
    "ReportSubmitted": ("effective_date",), "Inspected": ("effective_date", "conclusion_due"),
    "MinutesSigned": ("effective_date",), "Concluded": ("effective_date",),
    "RemediationReported": ("effective_date",), "Cancelled": ("effective_date",),
    "StepRetracted": ("effective_date",),  # and the whole record it restores: deep
    "Corrected": ("effective_date",),  # and the steps' data and the record: deep
    "Replanned": ("effective_date",),  # likewise
    "Withdrawn": ("effective_date",),
    "Claimed": ("due", "claimed_at"), "AttemptStarted": ("at",),
    "Sent": ("at", "retry_after"), "FailedTemporarily": ("retry_after",),
    "FailedPermanently": (), "OutcomeUnknown": ("retry_after",),
}


DEEP = ("StepRetracted", "Corrected", "Replanned")


def flat_decoder(event: str) -> Callable[[bytes], dict[str, Any]]:
    """A decoder for one kind of event that unwraps only the moments the views read
    (a third of `flat_decode`'s time per event: it is the fold's inner loop)."""
    if event in DEEP:  # rare, a whole record deep: all unwrapped
        return deep_flat_decode
    keys = EVENT_MOMENTS[event]
    findings = event == "Concluded"
    loads = orjson.loads

    def decode(state: bytes) -> dict[str, Any]:
        data: dict[str, Any] = loads(state)
        for key in keys:
            value = data.get(key)
            if type(value) is dict:
                data[key] = value["_data_"]
        if findings:
            for finding in data["findings"]:
                if type(finding["remediate_by"]) is dict:
                    finding["remediate_by"] = finding["remediate_by"]["_data_"]
        return data

    return decode


def flat_decode(state: bytes) -> dict[str, Any]:
    """An inspection or delivery event: its top-level moments and its findings' dates (a
    retraction's restored record: all of it)."""
    if b'"restored"' in state or b'"corrected_version"' in state or b'"plan_version"' in state:
        retraction: dict[str, Any] = deep_flat_decode(state)
        return retraction
    data: dict[str, Any] = orjson.loads(state)
    for key, value in data.items():  # replacing values in place: the size does not change
        if type(value) is dict and key in MOMENT_KEYS:
            data[key] = value["_data_"]
    for finding in data.get("findings") or ():
        if type(finding) is dict and type(finding["remediate_by"]) is dict:
            finding["remediate_by"] = finding["remediate_by"]["_data_"]
    return data


# An encoded value whose data is a plain string (every transcoding kiemtra registers).
ENCODED = re.compile(rb'\{"_type_":"[a-z_]+","_data_":("[^"\\]*")\}')


def deep_flat_decode(state: bytes) -> Any:
    """The same for any shape (plans): every encoded value, however deep, as its text.

    The encoded objects are replaced by their text in the JSON itself, before parsing
    (no JSON string can contain an unescaped `{"`); any left (data not a plain string)
    are flattened after parsing."""
    flat = b"".join(ENCODED.split(state))  # the texts are the split's captured groups
    if b'"_type_"' not in flat:
        return orjson.loads(flat)

    def walk(value: Any) -> Any:
        if type(value) is dict:
            if "_type_" in value:
                return value["_data_"]
            return {k: walk(v) for k, v in value.items()}
        if type(value) is list:
            return [walk(v) for v in value]
        return value

    return walk(orjson.loads(flat))
