"""Phone numbers as people type, key or say them, and as Loket reads them back."""

from __future__ import annotations

import pytest

from bot.conversations.callbacks import normalise_number
from bot.handoff_texts import speakable_number


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("0470 12 34 56", "+32470123456"),
        ("0470/12.34.56", "+32470123456"),
        ("+32 470 12 34 56", "+32470123456"),
        ("0032470123456", "+32470123456"),
        ("02 555 12 34", "+3225551234"),
        ("0470123456", "+32470123456"),  # keyed in on a phone, ended with #
        ("+33 6 12 34 56 78", "+33612345678"),
    ],
)
def test_numbers_people_write_are_understood(typed: str, number: str):
    assert normalise_number(typed) == number


@pytest.mark.parametrize("typed", ["", "1", "12345", "my number is secret", "0470 12 34 5x"])
def test_what_is_not_a_number_is_refused(typed: str):
    assert normalise_number(typed) is None


@pytest.mark.parametrize(
    ("number", "said"),
    [
        ("+32470123456", "0470 12 34 56"),
        ("+3225551234", "02 555 12 34"),
        ("+3271234567", "071 23 45 67"),
        ("+33612345678", "+33612345678"),
    ],
)
def test_numbers_are_read_back_in_groups(number: str, said: str):
    assert speakable_number(number) == said
