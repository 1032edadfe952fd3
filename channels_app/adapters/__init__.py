"""Registry of channel adapters: endpoint kind -> adapter. Adding a channel = one module here."""

from __future__ import annotations

from channels_app.adapters.base import Adapter

_REGISTRY: dict[str, Adapter] = {}


def register(adapter: Adapter) -> Adapter:
    _REGISTRY[adapter.kind] = adapter
    return adapter


def get_adapter(kind: str) -> Adapter | None:
    _load_builtin_adapters()
    return _REGISTRY.get(kind)


def _load_builtin_adapters() -> None:
    from channels_app.adapters import (  # noqa: F401
        api,
        email,
        meta,
        telegram,
        twilio,
        webform,
    )
    from channels_app.widget import adapter as _webchat  # noqa: F401
