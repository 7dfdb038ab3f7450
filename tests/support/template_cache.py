"""Jinja's compiled templates, shared by every app of a test process instead of made per app.

Each app has its own Jinja environment, and an environment compiles a template (lex, parse,
generate Python, ``compile``) the first time it renders it.  The suite makes an app for nearly
every test, so every test compiled ``base.html`` and each page it rendered again: a first page
of a fresh app cost about 0.2 s of CPU more than the same page rendered a second time, most of
it compiling.  Jinja's own answer for compiling once is a bytecode cache: the environment still
loads the source and checks it against the cached code's checksum, then runs the cached module
code instead of compiling (a changed template is compiled again).  The code a template compiles
to depends on the environment's compile options (delimiters, whitespace handling, extensions,
autoescape for that name, finalize, async), so those are part of the key as well as the name
and file; each environment still builds its own template objects around the code, with its own
globals and filters.

Only tests install this (tests/conftest.py); the product, gunicorn and ``flask`` commands
compile as Jinja does.
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Flask
from jinja2 import BytecodeCache, Environment
from jinja2.bccache import Bucket


def _compile_options(environment: Environment, name: str) -> str:
    """What the code generated for template ``name`` depends on besides its source."""
    autoescape = environment.autoescape
    escapes = autoescape(name) if callable(autoescape) else autoescape
    return repr((
        environment.block_start_string, environment.block_end_string,
        environment.variable_start_string, environment.variable_end_string,
        environment.comment_start_string, environment.comment_end_string,
        environment.line_statement_prefix, environment.line_comment_prefix,
        environment.trim_blocks, environment.lstrip_blocks, environment.newline_sequence,
        environment.keep_trailing_newline, sorted(environment.extensions),
        environment.optimized, environment.finalize is None, environment.is_async,
        bool(escapes), type(environment).__qualname__,
        environment.code_generator_class.__qualname__,
    ))


class SharedBytecode(BytecodeCache):
    """Compiled template code in this process's memory, keyed by template and compile options."""

    def __init__(self) -> None:
        self.store: dict[str, bytes] = {}

    def get_bucket(self, environment: Environment, name: str, filename: str | None,
                   source: str) -> Bucket:
        options = hashlib.sha256(_compile_options(environment, name).encode()).hexdigest()
        bucket = Bucket(environment, f"{self.get_cache_key(name, filename)}-{options}",
                        self.get_source_checksum(source))
        self.load_bytecode(bucket)
        return bucket

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self.store.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.store[bucket.key] = bucket.bytecode_to_string()

    def clear(self) -> None:
        self.store.clear()


SHARED = SharedBytecode()


def reuse_compiled_templates() -> None:
    """Tests only: every app made from now on in this process (``create_app`` or any other
    way) shares :data:`SHARED`."""
    options: dict[str, Any] = dict(Flask.jinja_options)
    options["bytecode_cache"] = SHARED
    Flask.jinja_options = options
