"""Worksheets: private, structured forms that belong to lessons. Every query is scoped to
current_user, so nobody else (no other family, no counselor, no admin) can reach them."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.lessons import bp, worksheets
from portal.lessons.forms import worksheet_form
from portal.security import Permission, permission_required
from portal.templating import render_form


def get_sheet(slug):
    sheet = worksheets.find(slug) if len(slug) <= 80 else None
    if sheet is None:
        abort(404)
    return sheet


@bp.get("/worksheets")
@permission_required(Permission.LEARN)
def worksheet_list():
    entries = worksheets.entries_of(current_user)
    return render_template("lessons/worksheets.html", sheets=worksheets.WORKSHEETS, entries=entries)


@bp.get("/worksheets/<slug>")
@permission_required(Permission.LEARN)
def worksheet(slug):
    sheet = get_sheet(slug)
    entry = worksheets.entry_of(current_user, sheet)
    form = worksheet_form(sheet, worksheets.answers_of(entry, sheet))
    return render_form("lessons/worksheet.html", form, sheet=sheet, entry=entry)


@bp.post("/worksheets/<slug>")
@permission_required(Permission.LEARN)
def save_worksheet(slug):
    sheet = get_sheet(slug)
    form = worksheet_form(sheet)
    entry = worksheets.entry_of(current_user, sheet)
    if not form.validate():
        return render_form("lessons/worksheet.html", form, sheet=sheet, entry=entry)
    worksheets.save(current_user, sheet, {item.name: form[item.name].data for item in sheet.fields})
    flash(_("Your worksheet is saved. Only you can read it."), "success")
    return redirect(url_for(".worksheet", slug=sheet.slug))
