"""SQLAlchemy's compiled statements, shared by every app of a test process instead of per app.

SQLAlchemy compiles a statement (the ORM's compile state, then the SQL string) once and keeps
the result in the engine's cache, keyed by the dialect *object* and the statement's cache key.
The suite makes an app, so an engine and a dialect, for nearly every test: every test compiled
again each statement it ran, and after the template cache (tests/support/template_cache.py) that
was most of what a fresh app's first page cost beyond the same page rendered again (0.13 s
against 0.04 s of CPU for two pages).

The compiled form depends on the dialect only through its class and its settings: the server
version and the features read from it on the first connection, the parameter style, label
lengths, JSON serialisers.  So this cache keys a statement on those (every plain value of the
dialect's ``__dict__`` but those its memoized properties derive, and the identity of any
function or module there) instead of the object: two engines of the same backend, version and
options share the statement; a different backend, server version or option compiles its own.  Each execution still runs on its own
engine, connection and execution context.

Only tests install this (tests/conftest.py); the product, gunicorn and ``flask`` commands keep
SQLAlchemy's per-engine cache.
"""

from __future__ import annotations

import functools
import types
from collections.abc import Hashable
from typing import Any

from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapper
from sqlalchemy.util import HasMemoized, LRUCache
from sqlalchemy.util.langhelpers import generic_fn_descriptor

# SQLAlchemy's default per engine is 500.  A compiled ORM statement holds some 30 KiB; a test
# file runs a few hundred distinct ones (223 for two selection files of 17 tests), and the least
# recently used go first, so 1,000 keep a file's and its neighbours' within about 30 MB.
SIZE = 1000

_PLAIN = (type(None), bool, int, float, str, bytes, tuple)
_BY_IDENTITY = (types.FunctionType, types.BuiltinFunctionType, types.MethodType,
                types.ModuleType, type)


@functools.cache
def _memoized(cls: type, name: str) -> bool:
    """``name`` is a value the class's memoized property computed and left on the object
    (from the settings, often while compiling: counting it would change the key between
    looking a statement up and storing it)."""
    for klass in cls.__mro__:
        if name in vars(klass):
            return isinstance(vars(klass)[name], generic_fn_descriptor)
    return False


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:  # a tuple holding a list or a dict
        return False
    return True


# The dialect last asked about: its attributes as they were then, and its settings.  Every
# execution asks, nearly always about the same dialect, whose attributes change only when it
# first connects (the server's version) and when a memoized property is first read; sorting and
# sifting them again each time cost some 3% of a test's CPU (the demo city's load).
_last: tuple[Any, dict[str, Any], Hashable] | None = None


def dialect_settings(dialect: Any) -> Hashable:
    """What a statement compiled for ``dialect`` depends on besides the statement: its class
    and settings, not the object."""
    global _last
    state = vars(dialect)
    # equal: the same names, each bound to the same object or an equal plain value
    if _last is not None and _last[0] is dialect and _last[1] == state:
        return _last[2]
    settings = _settings(dialect)
    _last = (dialect, dict(state), settings)
    return settings


def _settings(dialect: Any) -> Hashable:
    settings: list[tuple[str, Any]] = []
    for name, value in sorted(vars(dialect).items()):
        if _memoized(type(dialect), name):
            continue
        if isinstance(value, _PLAIN):
            settings.append((name, value if _hashable(value) else repr(value)))
        elif isinstance(value, _BY_IDENTITY):
            settings.append((name, id(value)))
    return (type(dialect), tuple(settings))


class SharedStatements:
    """A compiled cache (``MutableMapping`` as SQLAlchemy uses it: ``get`` and item
    assignment) keyed by the dialect's settings instead of the dialect."""

    def __init__(self, size: int = SIZE) -> None:
        self.compiled: LRUCache[Hashable, Any] = LRUCache(size)

    @staticmethod
    def _key(key: tuple[Any, ...]) -> Hashable:
        return (dialect_settings(key[0]), *key[1:])

    def get(self, key: tuple[Any, ...], default: Any = None) -> Any:
        return self.compiled.get(self._key(key), default)

    def __getitem__(self, key: tuple[Any, ...]) -> Any:
        return self.compiled[self._key(key)]

    def __setitem__(self, key: tuple[Any, ...], value: Any) -> None:
        self.compiled[self._key(key)] = value

    def __len__(self) -> int:
        return len(self.compiled)

    def clear(self) -> None:
        self.compiled.clear()


SHARED = SharedStatements()


def _mapper_statements(mapper: Mapper[Any]) -> SharedStatements:
    return SharedStatements(mapper._compiled_cache_size)


_mapper_statements.__name__ = "_compiled_cache"  # the attribute it memoizes


def reuse_compiled_statements() -> None:
    """Tests only: every engine Flask-SQLAlchemy makes from now on in this process (every
    app's) compiles into :data:`SHARED`; the ORM's flushes (the INSERT, UPDATE and DELETE
    statements each mapper keeps in a cache of its own, apart from the engine's) into a cache
    per mapper keyed the same way."""
    Mapper._compiled_cache = HasMemoized.memoized_attribute(_mapper_statements)  # type: ignore[assignment]
    make_engine = SQLAlchemy._make_engine

    def _make_engine(self: SQLAlchemy, bind_key: str | None, options: dict[str, Any],
                     app: Flask) -> Engine:
        engine = make_engine(self, bind_key, options, app)
        if engine._compiled_cache is not None:  # unless an app turns caching off
            engine._compiled_cache = SHARED  # type: ignore[assignment]
        return engine

    SQLAlchemy._make_engine = _make_engine  # type: ignore[method-assign]
