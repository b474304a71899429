"""Whose commune a stream is: the origin's name, and what two spellings of it share."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from kiemtra.domain.origins import origin_name, spelling_key

NAME = "Ủy ban nhân dân xã Khúc Thừa Dụ"


def test_the_name_is_kept_as_written_with_its_spaces_collapsed() -> None:
    assert origin_name("  Ủy ban  nhân dân\txã Khúc Thừa Dụ ") == NAME
    decomposed = unicodedata.normalize("NFD", NAME)
    assert decomposed != NAME and origin_name(decomposed) == NAME


def test_spellings_of_one_name_share_their_key() -> None:
    for other in ("Uỷ ban nhân dân xã Khúc Thừa Dụ", "ỦY BAN NHÂN DÂN XÃ KHÚC THỪA DỤ",
                  "ủy ban nhân dân xã khúc thừa dụ"):
        assert spelling_key(other) == spelling_key(NAME)
    assert spelling_key("Ủy ban nhân dân phường Hoà Bình") == spelling_key(
        "Ủy ban nhân dân phường Hòa Bình")


def test_names_that_differ_in_a_tone_or_a_letter_are_two() -> None:
    assert spelling_key("Ủy ban nhân dân xã Hòa An") != spelling_key("Ủy ban nhân dân xã Hóa An")
    assert spelling_key("Ủy ban nhân dân xã Tân Lập") != spelling_key("Ủy ban nhân dân xã Tân Lạc")
    assert spelling_key("Ủy ban nhân dân xã Đông") != spelling_key("Ủy ban nhân dân xã Dông")


@given(st.text(alphabet="aăâeêioôơuưyđAĂÂĐ \u0300\u0301\u0303\u0309\u0323", max_size=30))
def test_the_key_ignores_case_and_normal_form(text: str) -> None:
    assert spelling_key(text) == spelling_key(unicodedata.normalize("NFD", text.upper()))
