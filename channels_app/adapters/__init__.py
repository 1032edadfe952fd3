"""Registry of channel adapters: endpoint kind -> adapter. Adding a channel = one module
here, named in `BUILTIN_ADAPTERS`, plus its descriptor in `channels_app/kinds.py`."""

from __future__ import annotations

from importlib import import_module

from channels_app.adapters.base import Adapter

BUILTIN_ADAPTERS = ("api", "email", "meta", "telegram", "twilio", "webform", "webchat")

_REGISTRY: dict[str, Adapter] = {}


def register(adapter: Adapter) -> Adapter:
    _REGISTRY[adapter.kind] = adapter
    return adapter


def get_adapter(kind: str) -> Adapter | None:
    return _REGISTRY.get(kind)


def load_builtin_adapters() -> None:
    """Import each built-in adapter module once, which registers its adapters. Called by
    `ChannelsAppConfig.ready()`."""
    for name in BUILTIN_ADAPTERS:
        import_module(f"channels_app.adapters.{name}")
