"""The catalogue tests use the selection tests' small city."""

from tests.selection.conftest import city  # noqa: F401  # the fixture
