"""Stream ids are forever: the fast key must name the same stream as the UUID."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kiemtra.domain.ids import inspection_id, inspection_key


@given(st.text(min_size=1, max_size=40), st.text(min_size=1, max_size=20))
def test_inspection_key_is_the_hex_of_inspection_id(campaign: str, unit: str) -> None:
    assert inspection_key(campaign, unit) == inspection_id(campaign, unit).hex


def test_inspection_key_of_a_real_code() -> None:
    assert inspection_key("KTD-TKT-2026", "vp") == inspection_id("ktd-tkt-2026", "VP").hex
