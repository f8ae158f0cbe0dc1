"""`flask mail send` (new, for cron) and the PORTAL_BASE_URL guard of commands that email links."""

import pytest

from portal import create_app, mail
from portal.extensions import db

GOOD_KEY = "k" * 20 + "0123456789abcdef"


def test_mail_send_delivers_and_says_how_many(app, runner, outbox):
    mail.enqueue("casey@example.org", "Hello", "body")
    db.session.commit()
    result = runner.invoke(args=["mail", "send"])
    assert result.exit_code == 0 and result.output == "1 message(s) sent\n"
    assert [m["To"] for m in outbox()] == ["casey@example.org"]


@pytest.fixture
def production(monkeypatch, tmp_path):
    """A production app on a database of its own, with or without PORTAL_BASE_URL."""
    monkeypatch.setenv("SECRET_KEY", GOOD_KEY)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'prod.sqlite3'}")
    monkeypatch.delenv("PORTAL_BASE_URL", raising=False)
    made = []

    def make(**overrides):
        app = create_app("production", MAIL_OUTBOX=str(tmp_path / "outbox"), **overrides)
        with app.app_context():
            db.create_all()
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            db.engine.dispose()


def _invoke(app, command):
    """Run the command in this app (the session's test app context must not stand in for it)."""
    with app.app_context():
        return app.test_cli_runner().invoke(args=command)


@pytest.mark.parametrize("command", [["reminders", "send"], ["mail", "send"]])
def test_production_refuses_to_email_links_without_portal_base_url(production, command):
    result = _invoke(production(), command)
    assert result.exit_code != 0
    assert "PORTAL_BASE_URL is not set" in result.output and "127.0.0.1:5000" in result.output


@pytest.mark.parametrize("command", [["reminders", "send"], ["mail", "send"]])
def test_production_runs_them_with_portal_base_url(production, command):
    result = _invoke(production(PORTAL_BASE_URL="https://bridge.example.org"), command)
    assert result.exit_code == 0, result.output


def test_links_built_outside_a_request_use_portal_base_url(app, outbox):
    from portal.auth import tokens
    from tests.factories import make_user

    app.config["PORTAL_BASE_URL"] = "http://127.0.0.1:8123"
    make_user(email="casey@example.org")
    tokens.send_reset("casey@example.org")
    db.session.commit()
    assert "http://127.0.0.1:8123/auth/reset/" in outbox()[-1].get_content()
