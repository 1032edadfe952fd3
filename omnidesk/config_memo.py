"""Values derived from configuration tables (which teams own which inbox, the SLA
policies), kept in each process while the configuration has not changed.

Every announcement and every reply read them from the database, a query each, for rows
that change a few times a day. A `ConfigMemo` keeps the value in process memory with the
generation it was read at; the generation lives in the shared cache (Redis), so a check
is one cache read, and any process that changes the tables moves every process on by
calling `changed()`. It moves the generation at once and again when the transaction
commits: a process that reloaded in between (and saw the old rows) reloads once more.
Inside the transaction that made the change, the value is read afresh and not kept: it
holds rows that a rollback would take back. A generation missing from the cache
(evicted, a flushed Redis) is a new one, so nothing is kept across it.

Writes that send no model signal (`QuerySet.update()`, raw SQL, a `flush`) must call
`changed()` themselves (`forget_all()` for every memo).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from django.core.cache import cache
from django.db import transaction
from django.db.transaction import Atomic

T = TypeVar("T")

_memos: list[ConfigMemo[Any]] = []


def forget_all() -> None:
    """Every process reloads every kept value (after tables were emptied without
    signals: a `flush`, a test's truncation)."""
    for memo in _memos:
        memo._bump()


class ConfigMemo(Generic[T]):
    def __init__(self, name: str, load: Callable[[], T]) -> None:
        self.key = f"config-generation:{name}"
        self.load = load
        self._lock = threading.Lock()
        self._generation: str | None = None
        self._value: T | None = None
        # Per thread (as database connections are): the outermost transaction of this
        # thread's connection that changed the configuration, while it is open.
        self._local = threading.local()
        _memos.append(self)

    def get(self) -> T:
        if self._changed_in_open_transaction():
            return self.load()
        generation = self._current_generation()
        with self._lock:
            if self._generation == generation:
                return self._value  # type: ignore[return-value]
        value = self.load()
        with self._lock:
            self._generation, self._value = generation, value
        return value

    def changed(self) -> None:
        """The configuration behind this value changed: every process reloads it."""
        self._bump()
        connection = transaction.get_connection()
        if connection.in_atomic_block:
            self._local.changed_in = connection.atomic_blocks[0]
        transaction.on_commit(self._bump)

    def _changed_in_open_transaction(self) -> bool:
        changed_in: Atomic | None = getattr(self._local, "changed_in", None)
        if changed_in is None:
            return False
        blocks = transaction.get_connection().atomic_blocks
        if blocks and blocks[0] is changed_in:
            return True
        self._local.changed_in = None
        return False

    def _bump(self) -> None:
        cache.set(self.key, uuid.uuid4().hex, timeout=None)

    def _current_generation(self) -> str:
        generation = cache.get(self.key)
        if generation is None:
            cache.add(self.key, uuid.uuid4().hex, timeout=None)
            generation = cache.get(self.key)
        return generation
