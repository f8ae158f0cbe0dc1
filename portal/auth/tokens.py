"""Emails carrying single-use links: verification, password reset, email change.

The link-bearing messages are queued as kinds that the delivery run builds (portal/mail): the
token is made only when the message is sent, so the queue never holds a usable link, and a
request does the same small write whether or not the address has an account.
"""

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from portal import audit, mail
from portal.auth.models import EmailToken, User
from portal.clock import utcnow
from portal.extensions import db

VERIFY = "auth_verify"
RESET = "auth_reset"
EMAIL_CHANGE = "auth_email_change"

VERIFY_SUBJECT = _l("Confirm your email for Family Bridge")
RESET_SUBJECT = _l("Reset your Family Bridge password")
EMAIL_CHANGE_SUBJECT = _l("Confirm your new email for Family Bridge")


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


def reset_lifetime_text():
    return mail.lifetime_text(current_app.config["RESET_TOKEN_LIFETIME"])


def email_lifetime_text():
    return mail.lifetime_text(current_app.config["EMAIL_TOKEN_LIFETIME"])


def send_verification(user):
    mail.enqueue_built(VERIFY, user.email, user_id=user.id)


def send_reset(email):
    """Queue a reset link for whoever has this address (built and sent only if someone does)."""
    mail.enqueue_built(RESET, email)


def send_email_change(user, new_email):
    """Queue a confirmation link to new_email (built only if the address is still free)."""
    mail.enqueue_built(EMAIL_CHANGE, new_email, user_id=user.id)


def _active_user(user_id=None, email=None):
    query = sa.select(User).filter_by(id=user_id) if user_id else sa.select(User).filter_by(email=email)
    user = db.session.scalar(query)
    return user if user is not None and user.active else None


def _build(user, subject, template, lifetime, **context):
    """(subject, body) in the user's language, saying how long the link lasts."""
    with force_locale(user.locale or "en"):
        body = render_template(f"email/{template}.txt", user=user, lifetime=mail.lifetime_text(lifetime), **context)
        return str(subject), body


def _build_verification(row):
    user = _active_user(user_id=row.user_id)
    if user is None or user.email != row.recipient or user.is_verified:
        return None
    lifetime = current_app.config["EMAIL_TOKEN_LIFETIME"]
    token = _issue(user, "verify", lifetime)
    return _build(user, VERIFY_SUBJECT, "verify", lifetime, link=mail.external_link("auth.verify", token=token))


def _build_reset(row):
    user = _active_user(email=row.recipient)
    if user is None:
        return None
    lifetime = current_app.config["RESET_TOKEN_LIFETIME"]
    token = _issue(user, "reset", lifetime)
    audit.record("auth.reset_link_sent", actor=user, obj=user)
    link = mail.external_link("auth.reset_password", token=token)
    return _build(user, RESET_SUBJECT, "reset", lifetime, link=link)


def _build_email_change(row):
    user = _active_user(user_id=row.user_id)
    if user is None or db.session.scalar(sa.select(User.id).filter_by(email=row.recipient)) is not None:
        return None
    lifetime = current_app.config["EMAIL_TOKEN_LIFETIME"]
    token = _issue(user, "email_change", lifetime, new_email=row.recipient)
    link = mail.external_link("auth.confirm_email_change", token=token)
    return _build(user, EMAIL_CHANGE_SUBJECT, "auth_email_change", lifetime, link=link)


mail.register_builder(VERIFY, _build_verification)
mail.register_builder(RESET, _build_reset)
mail.register_builder(EMAIL_CHANGE, _build_email_change)


def send_account_exists_notice(user):
    mail.send(
        user.email,
        _l("Someone tried to create an account with your email"),
        "account_exists",
        locale=user.locale,
        user=user,
        login_link=mail.external_link("auth.login"),
    )


def _security_notice(user, subject, template):
    """A notice to the account's own address about a change to it, with the way to take the
    account back (a password reset) in case it was not them."""
    mail.send(
        user.email,
        subject,
        template,
        locale=user.locale,
        user=user,
        reset_link=mail.external_link("auth.reset_request"),
    )


def send_email_change_notice(user):
    _security_notice(
        user, _l("A change of email was requested for your Family Bridge account"), "auth_email_change_notice"
    )


def send_mfa_reset_notice(user):
    _security_notice(user, _l("Two-step sign-in was reset on your Family Bridge account"), "auth_mfa_reset")


def send_password_changed_notice(user):
    _security_notice(user, _l("Your Family Bridge password was changed"), "auth_password_changed")
