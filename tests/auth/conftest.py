import pytest

from portal.auth import mfa
from portal.extensions import db
from portal.security import Role
from tests.factories import make_user


@pytest.fixture
def mfa_user():
    """A counselor with two-step sign-in on; `.recovery_codes` holds the plain codes."""
    user = make_user(email="casey@example.org", roles=(Role.COUNSELOR,))
    secret = mfa.new_secret()
    import pyotp

    user.recovery_codes = mfa.enable(user, secret, pyotp.TOTP(secret).now())
    user.totp_last_step = None  # let the test use the current code again
    db.session.commit()
    return user


@pytest.fixture
def request_context(app):
    """For rules that speak through gettext outside a request."""
    with app.test_request_context():
        yield
