"""The selection tests' small city, reused for the OCDS export."""

from tests.selection.conftest import city  # noqa: F401
