"""The key that encrypts the console's session cookie.

From the settings (LOKET_CONSOLE_SECRET) when given, so that several hub replicas
share it; otherwise made once and kept in data_dir/console.key, readable by the hub's
user only, so that agents stay signed in across restarts.
"""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path

from cryptography.fernet import Fernet

from bot.settings import Settings

KEY_FILE = "console.key"


class SecretError(ValueError):
    """A console secret that is not 32 url-safe base64 bytes."""


def console_key(settings: Settings) -> bytes:
    """The 32-byte key, url-safe base64 encoded (the form Fernet takes)."""
    configured = settings.console_secret.get_secret_value().strip()
    if configured:
        return _checked(configured.encode(), "LOKET_CONSOLE_SECRET")
    return _kept_key(settings.data_dir / KEY_FILE)


def _kept_key(path: Path) -> bytes:
    if path.exists():
        return _checked(path.read_bytes().strip(), str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(Fernet.generate_key() + b"\n")
    try:
        # A hard link appears whole or not at all: of two processes starting at once,
        # one puts its key in place and both then read that one.
        os.link(draft, path)
    except FileExistsError:
        pass
    finally:
        draft.unlink()
    return _checked(path.read_bytes().strip(), str(path))


def _checked(key: bytes, origin: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(key)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise SecretError(
            f"{origin} must be 32 bytes in url-safe base64; make one with: python -c "
            '"from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
        )
    return key
