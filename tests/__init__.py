"""The test suite."""

import pytest

# The shared scenario helpers assert on the way (a form answered 302, a row is there): rewrite
# their asserts too, so a failure shows the values as it does in a test module.
pytest.register_assert_rewrite("tests.support")
