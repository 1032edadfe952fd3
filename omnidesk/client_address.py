"""The address of the client a request comes from, behind the load balancers you trust.

`OMNIDESK_TRUSTED_PROXIES` lists the proxies (addresses or networks) in front of the
desk. A request from one of them speaks for the client named in `X-Forwarded-For`: the
right-most address in it that is not itself a trusted proxy (each proxy appends the
address it saw, so what a client wrote further left proves nothing). A request from
anywhere else is its own client, and its `X-Forwarded-For` is ignored. Every per-address
limit (web forms, the widget, sign-in lockout) keys on this."""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable

from django.conf import settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@functools.lru_cache(maxsize=8)
def _networks(trusted: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in trusted if item)


def _trusted(address: str, networks: Iterable[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(remote_addr: str, forwarded_for: str = "") -> str:
    networks = _networks(tuple(getattr(settings, "OMNIDESK_TRUSTED_PROXIES", ())))
    if not networks or not _trusted(remote_addr, networks):
        return remote_addr
    for hop in reversed([part.strip() for part in forwarded_for.split(",") if part.strip()]):
        if not _trusted(hop, networks):
            return hop
    return remote_addr


def request_client_address(request) -> str:
    meta = request.META
    return client_address(meta.get("REMOTE_ADDR", "") or "", meta.get("HTTP_X_FORWARDED_FOR", ""))


def scope_client_address(scope: dict) -> str:
    """The same for an ASGI scope (a websocket)."""
    remote = (scope.get("client") or ("", 0))[0] or ""
    headers = dict(scope.get("headers") or [])
    forwarded = headers.get(b"x-forwarded-for", b"").decode("latin-1")
    return client_address(remote, forwarded)
