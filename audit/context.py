"""Where an audited action comes from: the request being served (its user or API token,
address, browser and request id) or, outside any request, the system (Celery tasks,
management commands).

A middleware puts the request in a context variable for the length of the request; the
actor is read when an entry is written, because DRF authenticates a token only inside
the view (it then sets `user` and `auth` on the Django request too)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest, HttpResponse

from omnidesk.client_address import request_client_address

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_USER_AGENT_LENGTH = 300


@dataclass(frozen=True)
class Origin:
    request: HttpRequest | None
    ip: str | None
    user_agent: str
    request_id: str


SYSTEM = Origin(request=None, ip=None, user_agent="", request_id="")

_current: ContextVar[Origin] = ContextVar("audit_origin", default=SYSTEM)


def origin_of(request: HttpRequest) -> Origin:
    given = request.headers.get("X-Request-ID", "")
    return Origin(
        request=request,
        ip=request_client_address(request) or None,
        user_agent=request.headers.get("User-Agent", "")[:_USER_AGENT_LENGTH],
        request_id=given if _REQUEST_ID.match(given) else uuid.uuid4().hex,
    )


def current_origin() -> Origin:
    return _current.get()


@contextmanager
def serving(request: HttpRequest) -> Iterator[Origin]:
    token = _current.set(origin_of(request))
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def audit_context_middleware(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    def middleware(request: HttpRequest) -> HttpResponse:
        with serving(request) as origin:
            response = get_response(request)
            response.headers.setdefault("X-Request-ID", origin.request_id)
            return response

    return middleware


@dataclass(frozen=True)
class Actor:
    kind: str  # AuditEntry.ActorKind
    id: int | None
    label: str


def actor_of(user: AbstractBaseUser | None, origin: Origin) -> Actor:
    """`user` when a service named one, else the request's authenticated user, else the
    system. An API token's user is recorded as a token actor."""
    request = origin.request
    if user is None and request is not None:
        request_user = getattr(request, "user", None)
        if request_user is not None and request_user.is_authenticated:
            user = request_user
    if user is None or not user.is_authenticated:
        return Actor(kind="system", id=None, label="system")
    by_token = request is not None and getattr(request, "auth", None) is not None
    return Actor(kind="token" if by_token else "user", id=user.pk, label=user.get_username())
