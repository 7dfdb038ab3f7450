from tests.selection.conftest import city, site  # noqa: F401  # the fixtures
