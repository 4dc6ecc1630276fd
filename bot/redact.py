"""Remove personal identifiers from text before it reaches a log.

Callers are vulnerable people: national register numbers, phone numbers, IBANs and
e-mail addresses never appear in our logs.
"""

from __future__ import annotations

import logging
import re

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("[email]", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")),
    # IBAN: two letters, two check digits, then 10 to 30 letters/digits, maybe in groups.
    # Not a Twilio id ("CA" + 32 lower-case hex digits) nor a conversation id (32 hex
    # digits, "sms-<32 hex>"), which logs need to stay readable: no IBAN is 32 hex digits.
    (
        "[iban]",
        re.compile(
            r"\b(?![A-Z]{2}[0-9a-f]{32}\b)(?![0-9a-f]{32}\b)"
            r"[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,3})?\b",
            re.I,
        ),
    ),
    # Belgian national register number: YY.MM.DD-XXX.CC, with or without separators.
    ("[national-number]", re.compile(r"\b\d{2}[.\s]?\d{2}[.\s]?\d{2}[-\s]?\d{3}[.\s]?\d{2}\b")),
    # Phone numbers start with 0 (0470..., 00800...) or + (+32...), then 8+ digits in
    # groups. Requiring that start keeps timestamps and dates out.
    ("[phone]", re.compile(r"(?<![\w.:/-])(?:\+|0)\d(?:[\s./-]?\d){7,14}(?!\w)")),
)


def redact(text: str) -> str:
    """Return `text` with every personal identifier replaced by a placeholder."""
    for placeholder, pattern in _PATTERNS:
        text = pattern.sub(placeholder, text)
    return text


class RedactingFilter(logging.Filter):
    """A logging filter that redacts every record: message, traceback and stack.

    A traceback carries personal data too: an exception's text may quote what a person
    wrote, or the parameters of a failed database statement.
    """

    _traceback = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        """Render the message and the traceback once, redact them, drop what made them."""
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info:
            # Handlers' formatters print exc_text as it is when it is set.
            record.exc_text = self._traceback.formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def configure_logging(level: str) -> None:
    """Log to stderr, redacted, in one readable line per record."""
    handler = logging.StreamHandler()
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
