"""Outgoing mail: SMTP when MAIL_SERVER is set, otherwise .eml files in instance/outbox/."""

import smtplib
import uuid
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import current_app, render_template


def compose(to, subject, text_body, html_body=None):
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="family-bridge.local")
    message.set_content(text_body)
    if html_body:
        message.add_alternative(html_body, subtype="html")
    return message


def send(to, subject, template, **context):
    """Render templates/email/<template>.txt and send it."""
    text_body = render_template(f"email/{template}.txt", **context)
    deliver(compose(to, subject, text_body))


def deliver(message):
    config = current_app.config
    if config.get("MAIL_SERVER"):
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=10) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            smtp.send_message(message)
        return
    outbox = Path(config["MAIL_OUTBOX"])
    outbox.mkdir(parents=True, exist_ok=True)
    name = f"{uuid.uuid4().hex}.eml"
    (outbox / name).write_bytes(bytes(message))
