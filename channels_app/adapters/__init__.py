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


def kinds_for_provider(provider: str) -> tuple[str, ...]:
    """The endpoint kinds whose webhooks arrive under `/hooks/<provider>/`."""
    return tuple(
        kind for kind, adapter in _REGISTRY.items() if provider and adapter.provider == provider
    )


def load_builtin_adapters() -> None:
    """Import each built-in adapter module once, which registers its adapters. Called by
    `ChannelsAppConfig.ready()`."""
    for name in BUILTIN_ADAPTERS:
        import_module(f"channels_app.adapters.{name}")
