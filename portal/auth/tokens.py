"""Emails carrying single-use links: verification, password reset, email change."""

from flask import current_app, url_for

from portal import mail
from portal.auth.models import EmailToken
from portal.extensions import db


def _link(endpoint, token):
    base = current_app.config["PORTAL_BASE_URL"].rstrip("/")
    return base + url_for(endpoint, token=token)


def send_verification(user):
    row, token = EmailToken.issue(user, "verify", current_app.config["EMAIL_TOKEN_LIFETIME"])
    db.session.add(row)
    mail.send(user.email, "Confirm your email for Family Bridge", "verify", user=user,
              link=_link("auth.verify", token))


def send_account_exists_notice(user):
    mail.send(user.email, "Someone tried to create an account with your email", "account_exists",
              user=user, login_link=current_app.config["PORTAL_BASE_URL"].rstrip("/") + url_for("auth.login"))


def send_reset(user):
    row, token = EmailToken.issue(user, "reset", current_app.config["RESET_TOKEN_LIFETIME"])
    db.session.add(row)
    mail.send(user.email, "Reset your Family Bridge password", "reset", user=user,
              link=_link("auth.reset_password", token))
