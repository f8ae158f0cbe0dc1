import pytest

from tests.support.smtp import LoopbackSMTP


@pytest.fixture
def smtp(app):
    """A real SMTP server on loopback that the portal sends to; the test may stop and start it."""
    server = LoopbackSMTP().start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port, MAIL_TIMEOUT_SECONDS=5)
    yield server
    server.stop()


@pytest.fixture
def queued():
    """Every row of the mail queue, oldest first, read fresh from the database."""
    import sqlalchemy as sa

    from portal.extensions import db
    from portal.mail import OutgoingMail

    def read():
        db.session.expire_all()
        return list(db.session.scalars(sa.select(OutgoingMail).order_by(OutgoingMail.id)))

    return read
