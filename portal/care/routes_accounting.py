"""The accounting of disclosures for one client: on screen, as PDF and as CSV (42 CFR 2.24)."""

from flask import Response, current_app, request
from flask_login import current_user

from portal.care import access, bp
from portal.care.accounting import Period, build_accounting, client_today, default_period, record_produced
from portal.care.accounting_export import accounting_csv, accounting_pdf, day_text, moment_text
from portal.care.forms import AccountingPeriodForm
from portal.security import Permission, permission_required
from portal.templating import render_form


def _period_form(client):
    """The period form read from the query string; a first visit gets the default period."""
    form = AccountingPeriodForm(formdata=request.args if request.args else None)
    if not request.args:
        period = default_period(client, client_today(client))
        form.start.data, form.end.data = period.start, period.end
        return form, period
    if not form.validate():
        return form, None
    return form, Period(start=form.start.data, end=form.end.data)


def _produce(client_id, output):
    client = access.get_client_or_404(client_id, current_user)
    form, period = _period_form(client)
    if period is None:
        return None, render_form("care/accounting.html", form, client=client, report=None)
    report = build_accounting(client, period)
    record_produced(client, actor=current_user, output=output, period=period)
    return report, form


def _download(body, mimetype, report, extension):
    name = f"disclosures-{report.client.id}-{report.period.start}-{report.period.end}.{extension}"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/clients/<int:client_id>/disclosures")
@permission_required(Permission.MANAGE_CLIENTS)
def accounting(client_id):
    report, form = _produce(client_id, "html")
    if report is None:
        return form
    return render_form(
        "care/accounting.html", form, client=report.client, report=report, day_text=day_text, moment_text=moment_text
    )


@bp.get("/clients/<int:client_id>/disclosures.pdf")
@permission_required(Permission.MANAGE_CLIENTS)
def accounting_as_pdf(client_id):
    report, form = _produce(client_id, "pdf")
    if report is None:
        return form
    body = accounting_pdf(
        report, center_name=current_app.config["CENTER_NAME"], produced_on=client_today(report.client)
    )
    return _download(body, "application/pdf", report, "pdf")


@bp.get("/clients/<int:client_id>/disclosures.csv")
@permission_required(Permission.MANAGE_CLIENTS)
def accounting_as_csv(client_id):
    report, form = _produce(client_id, "csv")
    if report is None:
        return form
    return _download(accounting_csv(report), "text/csv; charset=utf-8", report, "csv")
