"""Pure pieces: SMS segments, fitting a text with its link, names in addresses, deep links,
night hours."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from prilavok.bot import links, message_templates, quiet_hours
from prilavok.channels.errors import Rejected
from prilavok.channels.sms import SmsRu, segments, valid_phone


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("я" * 70, 1),
        ("я" * 71, 2),
        ("я" * 134, 2),
        ("я" * 135, 3),
        ("€" * 80, 1),  # an extension character costs two septets
        ("€" * 81, 2),
        ("a" * 159 + "я", 3),  # one Cyrillic letter makes the whole text UCS-2
    ],
)
def test_segments(text: str, parts: int) -> None:
    assert segments(text) == parts


def test_phones_are_validated() -> None:
    assert valid_phone("8 (912) 345-67-89") == "+79123456789"
    with pytest.raises(Rejected):
        valid_phone("+7 000")


def test_a_long_text_is_cut_but_its_link_is_kept_whole() -> None:
    link = "https://shop.example/m/ivan-abcd2345"
    fits = SmsRu("key", max_segments=2).fits
    text = message_templates.with_link("Привет! " * 50, link, fits)
    assert text.endswith("…\n" + link) and segments(text) == 2
    assert message_templates.with_link("Коротко", link, fits) == f"Коротко\n{link}"
    assert message_templates.with_link(f"Смотрите {link}", link, fits) == f"Смотрите {link}"


def test_addresses_carry_a_transliterated_name_and_a_short_code() -> None:
    assert links.name_slug("Иван Петров") == "ivan-petrov"
    assert links.name_slug("Ёлкина Щука-Жанна") == "elkina-shchuka-zhanna"
    assert links.name_slug("!!!") == "offer"
    code = links.new_code()
    assert re.fullmatch(r"[a-z2-9]{12}", code)  # 60 bits
    assert links.code_from_tail(f"ivan-petrov-{code}") == code


def test_deep_link_tokens_fit_telegrams_start_parameter() -> None:
    token = links.new_link_token()
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,64}", token)
    assert links.telegram_link("shop_bot", token) == f"https://t.me/shop_bot?start={token}"


def test_night_hours_wrap_midnight_in_the_customers_zone() -> None:
    day = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # 12:00 in Moscow
    assert quiet_hours.next_allowed(day, "Europe/Moscow", 21, 10) is None
    late = datetime(2026, 11, 23, 19, 30, tzinfo=UTC)  # 22:30 in Moscow
    assert quiet_hours.next_allowed(late, "Europe/Moscow", 21, 10) == datetime(
        2026, 11, 24, 7, 0, tzinfo=UTC
    )
    early = datetime(2026, 11, 23, 4, 0, tzinfo=UTC)  # 07:00 in Moscow
    assert quiet_hours.next_allowed(early, "Europe/Moscow", 21, 10) == datetime(
        2026, 11, 23, 7, 0, tzinfo=UTC
    )
