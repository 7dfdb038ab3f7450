"""The selection tests' city and the reminders' loopback SMTP server."""

from tests.selection.conftest import city, site  # noqa: F401  # the fixtures
from tests.support.mail import smtp  # noqa: F401  # the fixture
