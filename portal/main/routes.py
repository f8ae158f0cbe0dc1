"""Home page for visitors, dashboards per role, health check."""

from flask import jsonify, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import text

from portal.extensions import db
from portal.mail import oldest_pending_age
from portal.main import bp
from portal.main.dashboard import panels_for


@bp.get("/")
def home():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    return render_template("main/home.html")


@bp.get("/dashboard")
@login_required
def dashboard():
    return render_template("main/dashboard.html", panels=panels_for(current_user))


@bp.get("/healthz")
def healthz():
    """`status` and `database` are the contract (README); `mail_queue_oldest_seconds` is how long
    the oldest message still waiting to be sent has waited (0: none; null: not readable)."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:
        db.session.rollback()
        return jsonify(status="unavailable", database="unavailable"), 503
    return jsonify(status="ok", database="ok", mail_queue_oldest_seconds=_mail_queue_age())


def _mail_queue_age():
    try:
        return oldest_pending_age()
    except Exception:  # noqa: BLE001 — e.g. a migration not applied yet; the database itself answered
        db.session.rollback()
        return None
