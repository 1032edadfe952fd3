"""Encryption at rest for provider credentials (Fernet, key from settings).

Keys rotate: new values are encrypted with the current key (`OMNIDESK_ENCRYPTION_KEY`,
else one derived from `SECRET_KEY`); values encrypted with an older one still decrypt
while it is listed in `OMNIDESK_ENCRYPTION_KEY_FALLBACKS` (or, for the derived key, in
Django's `SECRET_KEY_FALLBACKS`). `manage.py reencrypt_credentials` then rewrites every
stored value with the current key, after which the old one can go."""

from __future__ import annotations

import base64
import functools
import hashlib
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models


def _fernet() -> MultiFernet:
    if settings.OMNIDESK_ENCRYPTION_KEY:
        current = settings.OMNIDESK_ENCRYPTION_KEY
        fallbacks = getattr(settings, "OMNIDESK_ENCRYPTION_KEY_FALLBACKS", [])
    else:
        current = settings.SECRET_KEY
        fallbacks = getattr(settings, "SECRET_KEY_FALLBACKS", [])
    return _multi_fernet(current, tuple(fallbacks))


@functools.lru_cache(maxsize=4)
def _multi_fernet(current: str, fallbacks: tuple[str, ...]) -> MultiFernet:
    """Encrypts with the first key, decrypts with any of them."""
    return MultiFernet([_fernet_for(secret) for secret in (current, *fallbacks) if secret])


@functools.lru_cache(maxsize=4)
def _fernet_for(secret: str) -> Fernet:
    key = base64.urlsafe_b64encode(
        hashlib.sha256(f"omnidesk-credentials:{secret}".encode()).digest()
    )
    return Fernet(key)


def encrypt_json(value: dict[str, Any]) -> str:
    return _fernet().encrypt(json.dumps(value, sort_keys=True).encode()).decode()


def decrypt_json(token: str) -> dict[str, Any]:
    # A fresh dict each time: callers may change what they get.
    return json.loads(_decrypt(token, _fernet()))


@functools.lru_cache(maxsize=256)
def _decrypt(token: str, fernet: MultiFernet) -> bytes:
    """Every load of an endpoint (once per inbound event) decrypts the same few tokens:
    remember the plaintext of recent ones rather than redo the HMAC and AES each time."""
    try:
        return fernet.decrypt(token.encode())
    except InvalidToken as exc:
        raise ValueError("credentials cannot be decrypted with the configured key") from exc


class EncryptedJSONField(models.TextField):
    """A dict stored as a Fernet token; the database never sees plain secrets."""

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> dict | None:
        if value is None or value == "":
            return {}
        return decrypt_json(value)

    def to_python(self, value: Any) -> dict:
        if isinstance(value, dict):
            return value
        if not value:
            return {}
        try:
            return json.loads(value)
        except (TypeError, ValueError):
            return decrypt_json(value)

    def get_prep_value(self, value: Any) -> str:
        return encrypt_json(value or {})
