"""Baked queries: the SQL of a queryset compiled once per shape, then reused with new
values (what SQLAlchemy calls baked queries or its compiled cache).

Django builds and compiles a queryset in Python on every call. For the inbox list (a
visibility filter of subqueries, an unread probe, the array of channels) that costs about
2 ms, more than PostgreSQL takes to answer it, and the list is fetched on every refresh of
every agent. `fetch_values` compiles each shape once per process and afterwards only puts
the new values into the parameters.

How the parameters that hold a value are found without reading Django's internals: the
builder runs twice, with two different sets of marker values. The SQL text must be the
same both times, and each parameter must either be equal in both (a constant of the
shape) or be exactly the marker of one value each time (a slot for that value). Anything
else, such as a value Django transformed (a LIKE pattern, a value inside a list), makes
the shape unbakeable: it then runs through the ORM on every call, correct but not faster.

The caller's contract: `shape` holds every argument the builder branches on (a view
name, a role, a page size); `values` hold only what ends up as a query parameter. Falsy
values (None, "", 0) are passed to the builder as they are and become part of the shape,
so the usual `if channel:` in a builder is safe without listing it.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connections
from django.db.models import QuerySet
from django.db.models.query import ModelIterable, ValuesIterable, get_related_populators
from django.db.transaction import TransactionManagementError

_MARKER_KINDS = (int, str, datetime)


@dataclass(frozen=True)
class _Baked:
    sql: str
    # For each parameter: ("value", name) or ("constant", the value).
    parameters: tuple[tuple[str, Any], ...]
    converters: dict[int, tuple[list[Callable], Any]]
    make: Callable[[list | tuple], Any]  # a converted row -> what the queryset yields
    locks: bool  # SELECT ... FOR UPDATE: only inside a transaction, as the ORM insists


_UNBAKEABLE = object()
_baked: dict[Hashable, _Baked | object] = {}


def fetch_values(
    build: Callable[..., QuerySet],
    *,
    shape: dict[str, Hashable],
    values: dict[str, Any],
    using: str = "default",
) -> list[dict[str, Any]]:
    """`list(build(**shape, **values))` for a builder returning a `values()` queryset, its
    SQL compiled once per shape."""
    return _fetch(build, shape, values, using, _values_maker)


def fetch_models(
    build: Callable[..., QuerySet],
    *,
    shape: dict[str, Hashable],
    values: dict[str, Any],
    using: str = "default",
) -> list[Any]:
    """`list(build(**shape, **values))` for a builder returning model instances (with
    `select_related` and annotations, not `prefetch_related` nor a related manager's
    queryset), its SQL compiled once per shape. The instances are built as
    Django's own ModelIterable builds them."""
    return _fetch(build, shape, values, using, _model_maker)


def is_baked(
    build: Callable[..., QuerySet], *, shape: dict[str, Hashable], values: dict[str, Any]
) -> bool:
    """Whether a call with these arguments runs from compiled SQL (for tests and benches)."""
    markable, fixed = _split(values)
    return any(
        isinstance(_baked.get(_key(build, "default", shape, fixed, markable, maker)), _Baked)
        for maker in (_values_maker, _model_maker)
    )


def _fetch(
    build: Callable[..., QuerySet],
    shape: dict[str, Hashable],
    values: dict[str, Any],
    using: str,
    maker: Callable,
) -> list[Any]:
    connection = connections[using]
    markable, fixed = _split(values)
    key = _key(build, using, shape, fixed, markable, maker)
    baked = _baked.get(key)
    if baked is None:
        baked = _baked[key] = _bake(
            build, shape=shape, fixed=fixed, markable=markable, using=using, maker=maker
        )
    if baked is _UNBAKEABLE:
        return list(build(**shape, **values))
    if baked.locks and connection.get_autocommit():
        raise TransactionManagementError(
            "select_for_update cannot be used outside of a transaction."
        )
    parameters = [markable[item] if kind == "value" else item for kind, item in baked.parameters]
    with connection.cursor() as cursor:
        cursor.execute(baked.sql, parameters)
        rows = cursor.fetchall()
    if baked.converters:
        rows = [_converted(row, baked.converters, connection) for row in rows]
    return [baked.make(row) for row in rows]


def _split(values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    markable = {name: value for name, value in values.items() if value}
    for name, value in markable.items():
        if not isinstance(value, _MARKER_KINDS) or isinstance(value, bool):
            raise TypeError(f"{name}: bake a value of int, str or datetime, not {type(value)}")
    fixed = {name: value for name, value in values.items() if name not in markable}
    return markable, fixed


def _key(
    build: Callable[..., QuerySet],
    using: str,
    shape: dict[str, Hashable],
    fixed: dict[str, Any],
    markable: dict[str, Any],
    maker: Callable,
) -> Hashable:
    return (
        build.__module__,
        build.__qualname__,
        maker.__name__,
        using,
        tuple(sorted(shape.items())),
        tuple(sorted(fixed.items(), key=lambda item: item[0])),
        tuple(sorted((name, type(value).__name__) for name, value in markable.items())),
    )


def _markers(markable: dict[str, Any], variant: int) -> dict[str, Any]:
    serials = itertools.count(1_000_003 * (variant + 1))
    markers: dict[str, Any] = {}
    for name, value in sorted(markable.items()):
        serial = next(serials)
        if isinstance(value, int):
            markers[name] = -serial
        elif isinstance(value, str):
            markers[name] = f"baked-marker-{serial}"
        else:
            markers[name] = datetime(1901, 1, 1, tzinfo=UTC) + timedelta(seconds=serial)
    return markers


def _bake(
    build: Callable[..., QuerySet],
    *,
    shape: dict[str, Hashable],
    fixed: dict[str, Any],
    markable: dict[str, Any],
    using: str,
    maker: Callable,
) -> _Baked | object:
    markers = (_markers(markable, 0), _markers(markable, 1))
    compiled = []
    for variant in markers:
        queryset = build(**shape, **fixed, **variant)
        compiler = queryset.query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        compiled.append((queryset, compiler, sql, tuple(params)))
    (queryset, compiler, sql, params), (_, _, other_sql, other_params) = compiled
    if sql != other_sql or len(params) != len(other_params):
        return _UNBAKEABLE
    slots = {(markers[0][name], markers[1][name]): name for name in markable}
    parameters: list[tuple[str, Any]] = []
    for first, second in zip(params, other_params, strict=True):
        if type(first) is type(second) and first == second:
            parameters.append(("constant", first))
        elif (first, second) in slots:
            parameters.append(("value", slots[(first, second)]))
        else:
            return _UNBAKEABLE
    make = maker(queryset, compiler, using)
    if make is None:
        return _UNBAKEABLE
    fields = [column[0] for column in compiler.select[: compiler.col_count]]
    return _Baked(
        sql=sql,
        parameters=tuple(parameters),
        converters=compiler.get_converters(fields),
        make=make,
        locks=bool(queryset.query.select_for_update),
    )


def _values_maker(queryset: QuerySet, compiler: Any, using: str) -> Callable | None:
    if not issubclass(queryset._iterable_class, ValuesIterable):
        return None
    query = queryset.query
    if query.selected:
        names = tuple(query.selected)
    else:  # as ValuesIterable names them
        names = (*query.extra_select, *query.values_select, *query.annotation_select)
    return lambda row: dict(zip(names, row, strict=True))


def _model_maker(queryset: QuerySet, compiler: Any, using: str) -> Callable | None:
    """What ModelIterable does per row, with what it computes per query done once."""
    if (
        queryset._iterable_class is not ModelIterable
        or queryset._known_related_objects
        or queryset._prefetch_related_lookups
    ):
        return None
    select, klass_info = compiler.select, compiler.klass_info
    annotation_col_map = compiler.annotation_col_map
    model = klass_info["model"]
    start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
    init_list = [column[0].target.attname for column in select[start:end]]
    related_populators = get_related_populators(klass_info, select, using)

    def make(row: list | tuple) -> Any:
        instance = model.from_db(using, init_list, row[start:end])
        for populator in related_populators:
            populator.populate(row, instance)
        for name, position in (annotation_col_map or {}).items():
            setattr(instance, name, row[position])
        return instance

    return make


def _converted(row: tuple, converters: dict, connection: Any) -> list:
    row = list(row)
    for position, (functions, expression) in converters.items():
        value = row[position]
        for function in functions:
            value = function(value, expression, connection)
        row[position] = value
    return row
