from tests.selection.conftest import city  # noqa: F401  # the fixture
