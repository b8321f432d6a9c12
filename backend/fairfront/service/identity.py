"""Owners: who a request acts for, proved by a token the service signed.

An owner is a random id; its token is ``<id>.<HMAC-SHA256(secret, id)>`` (URL-safe
base64), so the service can check a token without storing sessions, and a token
cannot be made up or changed without the secret. The secret is ``models/secret.key``
(made once, readable by the service's user only), so tokens outlive a restart;
deleting the file logs everyone out.

When ``access_token`` is set (required when the service listens beyond loopback), a
token is only issued to a client that sends it (:meth:`Identity.issue`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import os
import secrets
from pathlib import Path

from .errors import ServiceError
from .settings import Settings

__all__ = [
    "COOKIE",
    "Identity",
    "UnauthorizedError",
    "check_exposure",
    "is_loopback",
]

COOKIE = "fairfront_owner"
"""The httpOnly cookie that carries the owner token for browsers talking to the API."""
SECRET_FILE = "secret.key"  # noqa: S105 - a file name, not a secret


class UnauthorizedError(ServiceError):
    status_code = 401


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _load_secret(models_dir: Path) -> bytes:
    path = models_dir / SECRET_FILE
    try:
        secret = path.read_bytes()
        if len(secret) >= 32:
            return secret
    except FileNotFoundError:
        pass
    secret = secrets.token_bytes(32)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as sink:
        sink.write(secret)
    return secret


class Identity:
    """Issues and checks owner tokens."""

    def __init__(self, settings: Settings) -> None:
        self._secret = _load_secret(settings.models_dir)
        self._access = (
            settings.access_token.get_secret_value().encode() if settings.access_token else None
        )

    @property
    def needs_access_token(self) -> bool:
        return self._access is not None

    def _sign(self, owner: str) -> str:
        return _b64(hmac.new(self._secret, owner.encode("ascii"), hashlib.sha256).digest())

    def issue(self, access_token: str | None = None) -> tuple[str, str]:
        """A new owner and its token; :class:`UnauthorizedError` without the access token."""
        if self._access is not None and not (
            access_token is not None
            and hmac.compare_digest(access_token.encode("utf-8"), self._access)
        ):
            raise UnauthorizedError("this service needs its access token to open a session")
        owner = _b64(secrets.token_bytes(16))
        return owner, f"{owner}.{self._sign(owner)}"

    def owner_of(self, token: str | None) -> str | None:
        """The owner a token was issued to, or None for a missing or forged token."""
        if not token or token.count(".") != 1 or len(token) > 200:
            return None
        owner, signature = token.split(".")
        if not owner.isascii() or not hmac.compare_digest(signature, self._sign(owner)):
            return None
        return owner


def is_loopback(host: str) -> bool:
    """True for a loopback address or ``localhost``."""
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_exposure(host: str, settings: Settings) -> None:
    """``ValueError`` when the service would listen beyond loopback without an access token
    (as Jupyter Server refuses to)."""
    if not is_loopback(host) and settings.access_token is None:
        raise ValueError(
            f"refusing to listen on {host}: beyond loopback the service needs an access "
            "token. Set FAIRFRONT_ACCESS_TOKEN (a long random string) and give it to the "
            "people who may use it; the web page asks for it once."
        )
