"""A number typed on the keypad: digits until `#`, `*` to start again.

When the core asks a caller for a phone number (`Turn.expects_digits`), the keys they
press next are one number, not one turn each: "0471234567" reaches the core as one
message. The call ends the entry at `#`, or when the caller stops typing for
`PAUSE_SECONDS`.
"""

from __future__ import annotations

PAUSE_SECONDS = 5.0
"""A pause this long after the last digit ends the number, as `#` does."""
DONE_KEY = "#"
AGAIN_KEY = "*"
DIGITS = frozenset("0123456789")


class KeyedNumber:
    """The digits typed so far; `press` takes one key at a time."""

    def __init__(self) -> None:
        self.digits = ""

    def press(self, key: str) -> bool:
        """Take one key; True once the number is complete (`#`).

        `*` starts again: the digits typed so far are forgotten.
        """
        if key == DONE_KEY:
            return True
        if key == AGAIN_KEY:
            self.digits = ""
        elif key in DIGITS:
            self.digits += key
        return False


def starts_a_number(key: str) -> bool:
    """Whether a key begins a number (`*` and `#` keep their meaning before any digit)."""
    return key in DIGITS
