"""Emails carrying single-use links: verification, password reset, email change."""

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import gettext as _

from portal import mail
from portal.auth.models import EmailToken
from portal.clock import utcnow
from portal.extensions import db


def _link(endpoint, **values):
    base = current_app.config["PORTAL_BASE_URL"].rstrip("/")
    return base + url_for(endpoint, **values)


def _issue(user, purpose, lifetime, new_email=None):
    """A fresh token; earlier unused ones of the same purpose stop working."""
    db.session.execute(
        sa.update(EmailToken)
        .where(EmailToken.user_id == user.id, EmailToken.purpose == purpose, EmailToken.used_at.is_(None))
        .values(used_at=utcnow())
    )
    row, token = EmailToken.issue(user, purpose, lifetime, new_email=new_email)
    db.session.add(row)
    return token


def send_verification(user):
    token = _issue(user, "verify", current_app.config["EMAIL_TOKEN_LIFETIME"])
    mail.send(
        user.email,
        _("Confirm your email for Family Bridge"),
        "verify",
        user=user,
        link=_link("auth.verify", token=token),
    )


def send_account_exists_notice(user):
    mail.send(
        user.email,
        _("Someone tried to create an account with your email"),
        "account_exists",
        user=user,
        login_link=_link("auth.login"),
    )


def send_reset(user):
    token = _issue(user, "reset", current_app.config["RESET_TOKEN_LIFETIME"])
    mail.send(
        user.email,
        _("Reset your Family Bridge password"),
        "reset",
        user=user,
        link=_link("auth.reset_password", token=token),
    )


def send_email_change(user, new_email):
    token = _issue(user, "email_change", current_app.config["EMAIL_TOKEN_LIFETIME"], new_email=new_email)
    mail.send(
        new_email,
        _("Confirm your new email for Family Bridge"),
        "auth_email_change",
        user=user,
        link=_link("auth.confirm_email_change", token=token),
    )


def _security_notice(user, subject, template):
    """A notice to the account's own address about a change to it, with the way to take the
    account back (a password reset) in case it was not them."""
    mail.send(user.email, subject, template, user=user, reset_link=_link("auth.reset_request"))


def send_email_change_notice(user):
    _security_notice(
        user, _("A change of email was requested for your Family Bridge account"), "auth_email_change_notice"
    )


def send_mfa_reset_notice(user):
    _security_notice(user, _("Two-step sign-in was reset on your Family Bridge account"), "auth_mfa_reset")


def send_password_changed_notice(user):
    _security_notice(user, _("Your Family Bridge password was changed"), "auth_password_changed")
