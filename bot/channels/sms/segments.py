"""How an SMS is cut into segments, and how a long reply is cut into pages that fit.

A text in the GSM-7 alphabet (3GPP TS 23.038) takes 160 septets in one SMS, 153 per
part once it needs several (the rest carries the concatenation header); a character of
the extension table (€, [, ], {, }, ^, ~, |, \\, form feed) takes two septets, and the two
are never split between parts. One character outside the alphabet (ç, ê, ł, an emoji)
makes the whole text UCS-2: 70 UTF-16 units in one SMS, 67 per part, a surrogate pair
never split. Typographic punctuation (’ « » – …, non-breaking spaces) is written in its
GSM-7 equivalent first, as Twilio's Smart Encoding does, so it alone never costs UCS-2.

`segments` is what the network makes of a text; `first_page` cuts a reply on sentence
boundaries so that a page fits the medium (at most three SMS segments, or WhatsApp's
1600 characters), and keeps the rest for when the person asks for more.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")
SINGLE_GSM7, PART_GSM7 = 160, 153  # septets
SINGLE_UCS2, PART_UCS2 = 70, 67  # UTF-16 code units
SMS_MAX_SEGMENTS = 3
WHATSAPP_MAX_CHARS = 1600  # Twilio's limit for one WhatsApp message body

# Twilio's Smart Encoding replacements for the punctuation the content uses.
_SMART = str.maketrans(
    {
        "\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u00ab": '"',
        "\u00bb": '"', "\u2013": "-", "\u2014": "-", "\u2026": "...", "\u00a0": " ",
        "\u202f": " ", "\u2009": " ", "\u2022": "-",
    }
)  # fmt: skip
# Where a page may end: after a sentence's end (. ! ? or :, not a list's "1.") or a line.
_SENTENCE_END = re.compile(r"(?<=[^\d\s][.!?:])[\"')]*\s+|\n+")
_WORD_END = re.compile(r"\s+")
_LINK = re.compile(r"\bhttps?://\S+|\bwww\.\S+", re.IGNORECASE)


def sms_text(text: str) -> str:
    """`text` as Loket sends it by SMS: typographic punctuation in its GSM-7 form."""
    return text.translate(_SMART)


def is_gsm7(text: str) -> bool:
    """True when every character of `text` is in the GSM-7 alphabet or its extension."""
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def _units(ch: str, gsm7: bool) -> int:
    """What one character costs: septets in GSM-7, UTF-16 code units in UCS-2."""
    if gsm7:
        return 2 if ch in GSM7_EXTENSION else 1
    return 2 if ord(ch) > 0xFFFF else 1


def segments(text: str) -> list[str]:
    """The SMS segments `text` is sent in, as the network cuts it (after `sms_text`).

    `len(segments(text))` is what the person's phone counts and what Twilio bills.
    """
    text = sms_text(text)
    gsm7 = is_gsm7(text)
    single, part = (SINGLE_GSM7, PART_GSM7) if gsm7 else (SINGLE_UCS2, PART_UCS2)
    if sum(_units(ch, gsm7) for ch in text) <= single:
        return [text]
    parts, current, used = [], [], 0
    for ch in text:
        cost = _units(ch, gsm7)
        if used + cost > part:  # an escape pair or a surrogate pair stays whole
            parts.append("".join(current))
            current, used = [], 0
        current.append(ch)
        used += cost
    parts.append("".join(current))
    return parts


def fits_sms(text: str) -> bool:
    """True when `text` goes in at most three SMS segments."""
    return len(segments(text)) <= SMS_MAX_SEGMENTS


def fits_whatsapp(text: str) -> bool:
    """True when `text` goes in one WhatsApp message."""
    return len(text) <= WHATSAPP_MAX_CHARS


@dataclass(frozen=True)
class Medium:
    """What one message may hold on a channel."""

    fits: Callable[[str], bool]
    one_link: bool  # at most one link per message (SMS: a second one looks like spam)


SMS = Medium(fits_sms, one_link=True)
WHATSAPP = Medium(fits_whatsapp, one_link=False)


@dataclass(frozen=True)
class Page:
    """What goes out now, and what is kept until the person asks for more ("" when none)."""

    text: str
    rest: str = ""


def first_page(text: str, medium: Medium, more: str) -> Page:
    """The first page of `text` for `medium`; `more` ends it when something is kept back.

    Cut after the last whole sentence that fits (with `more`, and only one link on SMS);
    a sentence too long for a page on its own is cut between words, a word between
    characters.
    """
    text = text.strip()
    if medium.fits(text) and not (medium.one_link and _links(text) > 1):
        return Page(text)
    for boundaries in (_SENTENCE_END, _WORD_END):
        cut = _last_cut(text, medium, more, [m.start() for m in boundaries.finditer(text)])
        if cut:
            return Page(_with_more(text[:cut], more), text[cut:].strip())
    cut = _last_cut(text, medium, more, list(range(1, len(text))), links=False)
    return Page(_with_more(text[:cut], more), text[cut:].strip())


def _last_cut(
    text: str, medium: Medium, more: str, cuts: list[int], links: bool = True
) -> int | None:
    """The latest of `cuts` whose page fits `medium`, or None."""
    for cut in reversed(cuts):
        page = _with_more(text[:cut], more)
        if medium.fits(page) and not (links and medium.one_link and _links(page) > 1):
            return cut
    return None


def _with_more(page: str, more: str) -> str:
    return f"{page.rstrip()}\n{more}"


def _links(text: str) -> int:
    return len(_LINK.findall(text))
