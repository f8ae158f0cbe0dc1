"""Reflections (author-only), certificates and their public verification, shared progress."""

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.extensions import limiter
from portal.lessons import bp, export, services, sharing, translations, worksheets
from portal.lessons.forms import ActionForm, ReflectionForm, VerifyForm
from portal.lessons.routes import get_lesson, render_lesson
from portal.main.dashboard import register_panel
from portal.security import Permission, permission_required
from portal.templating import form_status

# --- reflections: every query is scoped to current_user, so nobody else can reach them --------


@bp.post("/read/<slug>/reflection")
@permission_required(Permission.LEARN)
def save_reflection(slug):
    lesson = get_lesson(slug)
    form = ReflectionForm()
    if not form.validate():
        return render_lesson(slug, reflection_form=form, status=form_status(form))
    try:
        services.save_reflection(current_user, lesson, form.body.data)
    except services.LessonError as error:
        form.body.errors.append(str(error))
        return render_lesson(slug, reflection_form=form, status=form_status(form))
    flash(_("Your reflection is saved. Only you can read it."), "success")
    return redirect(url_for(".lesson", slug=slug, _anchor="reflection"))


@bp.post("/read/<slug>/reflection/delete")
@permission_required(Permission.LEARN)
def delete_reflection(slug):
    lesson = get_lesson(slug)
    if not ActionForm().validate():
        abort(400)
    if services.delete_reflection(current_user, lesson):
        flash(_("Your reflection was deleted."), "success")
    next_page = request.form.get("next")
    if next_page == "reflections":
        return redirect(url_for(".reflections"))
    return redirect(url_for(".lesson", slug=slug, _anchor="reflection"))


@bp.get("/reflections")
@permission_required(Permission.LEARN)
def reflections():
    return render_template("lessons/reflections.html", reflections=my_reflections(), action_form=ActionForm())


def my_reflections():
    """The reader's reflections, with lesson titles in the reader's language."""
    return translations.localize_reflections(services.reflections_of(current_user), translations.reader_locale())


@bp.get("/reflections/export.md")
@permission_required(Permission.LEARN)
def export_markdown():
    text = export.reflections_markdown(current_user, my_reflections(), worksheets.filled(current_user))
    return Response(
        text,
        mimetype="text/markdown; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="my-reflections.md"'},
    )


@bp.get("/reflections/export.pdf")
@permission_required(Permission.LEARN)
def export_pdf():
    data = export.reflections_pdf(current_user, my_reflections(), worksheets.filled(current_user))
    return Response(
        data, mimetype="application/pdf", headers={"Content-Disposition": 'attachment; filename="my-reflections.pdf"'}
    )


# --- certificates ------------------------------------------------------------------------------


@bp.get("/certificates")
@permission_required(Permission.LEARN)
def certificates():
    found = translations.localize_certificates(services.certificates_of(current_user), translations.reader_locale())
    return render_template("lessons/certificates.html", certificates=found)


@bp.get("/certificates/<code>")
@permission_required(Permission.LEARN)
def certificate(code):
    found = services.find_certificate(code)
    if found is None or found.user_id != current_user.id:
        abort(404)
    (shown,) = translations.localize_certificates([found], translations.reader_locale())
    return render_template("lessons/certificate.html", certificate=shown)


@bp.get("/certificates/verify")
@bp.get("/certificates/verify/<code>")
@limiter.limit("30 per minute")
def verify(code=None):
    form = VerifyForm(request.args if code is None else None, code=code)
    asked = code is not None or "code" in request.args
    found = services.find_certificate(form.code.data) if asked and form.validate() else None
    if found is not None:
        (found,) = translations.localize_certificates([found], translations.reader_locale())
    return render_template("lessons/verify.html", form=form, asked=asked, certificate=found)


# --- progress shared with the counselor -------------------------------------------------------


@bp.get("/clients/<int:client_id>/family-progress")
@permission_required(Permission.MANAGE_CLIENTS)
def family_progress(client_id):
    client = sharing.client_for_counselor(current_user, client_id)
    if client is None:
        abort(404)
    return render_template("lessons/family_progress.html", client=client, members=sharing.shared_progress(client))


@register_panel
def family_learning_panel(user):
    if not user.can(Permission.MANAGE_CLIENTS):
        return None
    clients = sharing.clients_with_shared_progress(user)
    if not clients:
        return None
    links = [
        (
            _("Family learning for %(name)s", name=client.full_name),
            url_for("lessons.family_progress", client_id=client.id),
        )
        for client in clients
    ]
    return {
        "title": _("Family learning"),
        "text": _("Family members who chose to share their lesson progress."),
        "links": links,
    }
