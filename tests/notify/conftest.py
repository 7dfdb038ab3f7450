"""The selection tests' city, the loopback SMTP server and the SMS gateway stand-in."""

from tests.selection.conftest import city, site  # noqa: F401  # the fixtures
from tests.support.mail import smtp  # noqa: F401  # the fixture
from tests.support.sms import sms_gateway  # noqa: F401  # the fixture
