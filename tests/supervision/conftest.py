"""The selection tests' city and the reminders' loopback SMTP server."""

from tests.selection.conftest import city  # noqa: F401  # the fixture
from tests.support.mail import smtp  # noqa: F401  # the fixture
