"""The selection tests' city for the credit tests."""

from tests.selection.conftest import city  # noqa: F401  # the fixture
