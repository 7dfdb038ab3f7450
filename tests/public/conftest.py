"""The selection tests' city, served for the browser tests too."""

from tests.selection.conftest import city, site  # noqa: F401  # the fixtures
