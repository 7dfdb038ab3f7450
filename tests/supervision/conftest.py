"""The selection tests' city and the reminders' loopback SMTP server."""

from tests.engagements.test_reminders import smtp  # noqa: F401  # the fixture
from tests.selection.conftest import city  # noqa: F401  # the fixture
