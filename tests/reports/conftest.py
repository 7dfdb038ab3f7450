from collections.abc import Iterator

import pytest

from tests.selection.conftest import city  # noqa: F401  # the fixture


@pytest.fixture
def pdf_library() -> Iterator[None]:
    """WeasyPrint with the Pango it loads (tools/system-deps installs it on Debian)."""
    try:
        import weasyprint  # noqa: F401
    except OSError as error:
        pytest.skip(f"PDF tests skipped: WeasyPrint cannot load Pango ({error})")
    yield
