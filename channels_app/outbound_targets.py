"""Where the desk connects on an admin's say-so, and how it signs what it sends there
(finding L13): an endpoint's email backend, its SMTP and IMAP hosts and an API
endpoint's callback URL are configuration, and configuration must not turn the desk into
a probe of its own network.

- `config.email_backend` names only a backend in `OMNIDESK_EMAIL_BACKENDS`.
- Hosts and callback URLs reach only public addresses, unless their network is listed in
  `OMNIDESK_ALLOWED_PRIVATE_NETWORKS`. Checked when an admin saves the endpoint (the name
  is resolved) and again on the socket actually connected, so a name that later resolves
  elsewhere is refused too.
- Callbacks are signed as Standard Webhooks sign (`webhook-id`, `webhook-timestamp`,
  `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`) with the
  endpoint's `credentials.callback_secret` (`whsec_` and base64), so receivers can verify
  them with any Standard Webhooks library.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import http.client
import ipaddress
import secrets
import socket
import ssl
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

CALLBACK_SECRET_PREFIX = "whsec_"


class RefusedTarget(ValueError):
    """A connection the configuration may not make."""


@dataclass(frozen=True)
class AllowedNetworks:
    """The setting that lists the non-public networks a kind of target may be in
    (endpoints' hosts and callbacks; outgoing webhooks have their own)."""

    setting: str

    def cidrs(self) -> tuple[str, ...]:
        return tuple(getattr(settings, self.setting))


ENDPOINT_TARGETS = AllowedNetworks("OMNIDESK_ALLOWED_PRIVATE_NETWORKS")


# --- Email backends ---------------------------------------------------------------------


def allowed_email_backend(path: str) -> bool:
    for entry in settings.OMNIDESK_EMAIL_BACKENDS:
        if (entry.endswith(".*") and path.startswith(entry[:-1])) or path == entry:
            return True
    return False


# --- Addresses ------------------------------------------------------------------------------


@functools.cache
def _networks(spec: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in spec)


def refused_address(address: str, *, allowed: AllowedNetworks = ENDPOINT_TARGETS) -> bool:
    """Whether the desk may not connect to this IP address: one that is not public
    (private, loopback, link-local, shared, reserved, multicast) and whose network is not
    in `allowed`'s setting (`OMNIDESK_ALLOWED_PRIVATE_NETWORKS` by default)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_global and not ip.is_multicast:
        return False
    networks = _networks(allowed.cidrs())
    return not any(ip.version == network.version and ip in network for network in networks)


def _refusal(what: str, address: str, allowed: AllowedNetworks) -> RefusedTarget:
    return RefusedTarget(
        f"{what} is {address}, which is not a public address: list its network in "
        f"{allowed.setting} to allow it."
    )


def check_host(
    host: str, port: int | None = None, *, allowed: AllowedNetworks = ENDPOINT_TARGETS
) -> None:
    """Raise RefusedTarget when `host` is, or resolves to, a refused address. A name that
    does not resolve passes: connecting to it fails anyway, and `check_peer` checks the
    address actually connected."""
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return
    for *_, sockaddr in infos:
        if refused_address(str(sockaddr[0]), allowed=allowed):
            raise _refusal(host, str(sockaddr[0]), allowed)


def check_peer(sock: socket.socket, *, allowed: AllowedNetworks = ENDPOINT_TARGETS) -> None:
    """Raise RefusedTarget when the connected socket's peer is a refused address."""
    address = str(sock.getpeername()[0])
    if refused_address(address, allowed=allowed):
        raise _refusal("The server connected", address, allowed)


def check_url(url: str, *, allowed: AllowedNetworks = ENDPOINT_TARGETS) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RefusedTarget("The URL must be an http(s) URL with a host.")
    check_host(parts.hostname, parts.port, allowed=allowed)


# --- HTTP that connects only where it may ----------------------------------------------------


def _checked_connection(
    address,
    timeout=socket._GLOBAL_DEFAULT_TIMEOUT,  # type: ignore[attr-defined]
    source_address=None,
    *,
    allowed: AllowedNetworks = ENDPOINT_TARGETS,
):
    sock = socket.create_connection(address, timeout, source_address)
    try:
        check_peer(sock, allowed=allowed)
    except RefusedTarget:
        sock.close()
        raise
    return sock


class _CheckedHTTPConnection(http.client.HTTPConnection):
    def __init__(
        self, *args: Any, allowed: AllowedNetworks = ENDPOINT_TARGETS, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = functools.partial(_checked_connection, allowed=allowed)


class _CheckedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(
        self, *args: Any, allowed: AllowedNetworks = ENDPOINT_TARGETS, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = functools.partial(_checked_connection, allowed=allowed)


class _CheckedHTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, allowed: AllowedNetworks) -> None:
        super().__init__()
        self.allowed = allowed

    def http_open(self, req):
        return self.do_open(functools.partial(_CheckedHTTPConnection, allowed=self.allowed), req)


class _CheckedHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, allowed: AllowedNetworks) -> None:
        super().__init__()
        self.allowed = allowed

    def https_open(self, req):
        return self.do_open(
            functools.partial(_CheckedHTTPSConnection, allowed=self.allowed),
            req,
            context=ssl.create_default_context(),
        )


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not a place to go: it could point anywhere."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def checked_opener(*, allowed: AllowedNetworks = ENDPOINT_TARGETS) -> urllib.request.OpenerDirector:
    """An opener that connects straight (no proxy from the environment), follows no
    redirect and refuses a socket connected to a refused address."""
    return urllib.request.build_opener(
        urllib.request.ProxyHandler({}),
        _CheckedHTTPHandler(allowed),
        _CheckedHTTPSHandler(allowed),
        _NoRedirects(),
    )


# --- Signed callbacks (Standard Webhooks) -------------------------------------------------------


def callback_secret_problem(secret: object) -> str | None:
    """Why `secret` cannot sign callbacks, or None."""
    if not isinstance(secret, str) or not secret.startswith(CALLBACK_SECRET_PREFIX):
        return f"callback_secret must be {CALLBACK_SECRET_PREFIX} followed by base64."
    try:
        key = base64.b64decode(secret.removeprefix(CALLBACK_SECRET_PREFIX), validate=True)
    except (binascii.Error, ValueError):
        return f"callback_secret must be {CALLBACK_SECRET_PREFIX} followed by base64."
    if not 24 <= len(key) <= 64:
        return "callback_secret must hold between 24 and 64 random bytes."
    return None


def new_callback_secret() -> str:
    return CALLBACK_SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def callback_signature_headers(
    *, secret: str, webhook_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    """The Standard Webhooks headers for `body` (the secret must pass
    `callback_secret_problem`)."""
    key = base64.b64decode(secret.removeprefix(CALLBACK_SECRET_PREFIX))
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    signature = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": f"v1,{signature}",
    }


# --- What an admin may save ---------------------------------------------------------------------


def endpoint_problems(
    *, kind: str, config: Mapping[str, Any], credentials: Mapping[str, Any]
) -> dict[str, list[str]]:
    """What is wrong with an endpoint's configuration, by form field ("config" or
    "new_credentials"), for the admin to show before anything is saved."""
    problems: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        problems.setdefault(field, []).append(message)

    if kind == "email":
        backend = config.get("email_backend")
        if backend and not (isinstance(backend, str) and allowed_email_backend(backend)):
            add(
                "config",
                f"email_backend {backend!r} is not one of OMNIDESK_EMAIL_BACKENDS: "
                + ", ".join(settings.OMNIDESK_EMAIL_BACKENDS),
            )
        authserv = config.get("trusted_authserv_id")
        if authserv is not None and not (
            isinstance(authserv, str)
            or (isinstance(authserv, list) and all(isinstance(i, str) for i in authserv))
        ):
            add("config", "trusted_authserv_id must be a name or a list of names.")
        for name in ("smtp_host", "imap_host"):
            host = credentials.get(name)
            if host:
                try:
                    check_host(str(host))
                except RefusedTarget as exc:
                    add("new_credentials", f"{name}: {exc}")
    if kind == "api" and config.get("callback_url"):
        try:
            check_url(str(config["callback_url"]))
        except RefusedTarget as exc:
            add("config", f"callback_url: {exc}")
        problem = callback_secret_problem(credentials.get("callback_secret"))
        if problem:
            add(
                "new_credentials",
                f"{problem} Callbacks are signed with it (Standard Webhooks); for example "
                f'"callback_secret": "{new_callback_secret()}".',
            )
    return problems
