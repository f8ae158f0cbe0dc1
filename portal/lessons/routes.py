"""HTTP routes for learners: catalogue, modules, lessons, knowledge checks, search, dashboard."""

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.auth import services as auth_services
from portal.auth.family_roles import role_label
from portal.auth.forms import FamilyRoleForm
from portal.lessons import bp, overview, services, tracks, translations, worksheets
from portal.lessons.forms import ActionForm, AnswerForm, ReflectionForm, SearchForm, SharingForm
from portal.lessons.search import search_lessons
from portal.main.dashboard import register_panel
from portal.security import Permission, permission_required
from portal.templating import form_status, render_form


def get_lesson(slug):
    """The published lesson with this slug, or 404 (drafts and unknown slugs look the same)."""
    lesson = services.find_published_lesson(slug)
    if lesson is None:
        abort(404)
    return lesson


def render_catalogue(role_form=None):
    """The Learn page: the chosen role's recommended path (or a prompt to choose a role), then
    every module. 422 when role_form came back with a field error."""
    modules = overview.overview(current_user.id)
    sharing = (
        SharingForm(share=services.sharing_enabled(current_user)) if current_user.can(Permission.SEE_FAMILY) else None
    )
    track = tracks.track_overview(current_user.id, current_user.family_role) if current_user.family_role else None
    if track is None and role_form is None and not current_user.is_staff:
        role_form = FamilyRoleForm()
    html = render_template(
        "lessons/catalogue.html",
        modules=modules,
        search_form=SearchForm(),
        sharing=sharing,
        track=track,
        role_form=role_form,
        all_tracks=tracks.all_tracks(),
        role_label=role_label,
    )
    return html, form_status(role_form)


@bp.get("/")
@permission_required(Permission.LEARN)
def catalogue():
    return render_catalogue()


@bp.post("/role")
@permission_required(Permission.LEARN)
def choose_role():
    """The Learn page's small form: choose a family role, then see its recommended path."""
    form = FamilyRoleForm()
    if not form.validate():  # (a missing CSRF token is a 400 from CSRFProtect before this runs)
        return render_catalogue(form)
    auth_services.set_family_role(current_user, form.family_role.data)
    flash(_("Your recommended path is ready below."), "success")
    return redirect(url_for(".catalogue", _anchor="recommended-path"))


@bp.get("/tracks/<role>")
@permission_required(Permission.LEARN)
def track(role):
    found = tracks.track_overview(current_user.id, role) if len(role) <= 40 else None
    if found is None:
        abort(404)
    return render_template("lessons/track.html", track=found, all_tracks=tracks.all_tracks())


@bp.get("/modules/<slug>")
@permission_required(Permission.LEARN)
def module(slug):
    found = overview.overview(current_user.id, module_slug=slug) if len(slug) <= 80 else []
    if not found:
        abort(404)
    return render_template("lessons/module.html", module=found[0])


def render_lesson(slug, reflection_form=None, status=200):
    """The lesson page (404 for drafts and unknown slugs). The visit is recorded after rendering,
    so the page's rows are not expired and read again by the commit."""
    page = services.lesson_page(current_user, slug)
    if page is None:
        abort(404)
    if reflection_form is None:
        reflection_form = ReflectionForm(body=page.reflection.body if page.reflection else "")
    shown, questions = page.lesson, services.questions_with_answers(current_user, page.lesson)
    previous, following = page.previous, page.following
    locale = translations.reader_locale()
    if locale:
        shown, questions = translations.localize_lesson(page.lesson, locale, questions)
        previous, following = translations.localize_links([previous, following], locale)
    html = render_template(
        "lessons/lesson.html",
        lesson=shown,
        progress=page.progress,
        questions=questions,
        reflection=page.reflection,
        reflection_form=reflection_form,
        previous=previous,
        following=following,
        worksheets=worksheets.for_lesson(page.lesson.slug),
        commitment=page.commitment,
    )
    services.record_visit(current_user, page.lesson, page.progress)
    return html, status


@bp.get("/read/<slug>")
@permission_required(Permission.LEARN)
def lesson(slug):
    return render_lesson(slug)


@bp.post("/read/<slug>/answer")
@permission_required(Permission.LEARN)
def answer(slug):
    lesson = get_lesson(slug)
    form = AnswerForm()
    wants_json = request.accept_mimetypes.best == "application/json"
    if not form.validate():
        message = _("Please choose an answer.")
        if wants_json:
            return jsonify(ok=False, message=message), 400
        flash(message, "error")
        return redirect(url_for(".lesson", slug=slug, _anchor="knowledge-check"))
    try:
        question, given = services.answer_question(current_user, lesson, form.question_id.data, form.choice.data)
    except services.LessonError as error:
        if wants_json:
            return jsonify(ok=False, message=str(error)), 400
        flash(str(error), "error")
        return redirect(url_for(".lesson", slug=slug, _anchor="knowledge-check"))
    if wants_json:
        locale = translations.reader_locale()
        shown = translations.question_text(question, locale) if locale else question
        html = render_template("lessons/_feedback.html", question=shown, given=given)
        return jsonify(ok=True, correct=given.correct, html=html)
    return redirect(url_for(".lesson", slug=slug, _anchor=f"question-{question.id}"))


@bp.post("/read/<slug>/complete")
@permission_required(Permission.LEARN)
def complete(slug):
    lesson = get_lesson(slug)
    if not ActionForm().validate():
        abort(400)
    certificate = services.complete_lesson(current_user, lesson)
    flash(_("Lesson complete. Well done for taking this time."), "success")
    if certificate is not None:
        (shown,) = translations.localize_certificates([certificate], translations.reader_locale())
        flash(
            _("You finished the module “%(title)s”. Your certificate is ready.", title=shown.module_title),
            "success",
        )
        return redirect(url_for(".certificate", code=certificate.code))
    return redirect(url_for(".lesson", slug=slug, _anchor="next-steps"))


@bp.get("/search")
@permission_required(Permission.LEARN)
def search():
    form = SearchForm(request.args)
    query = (request.args.get("q") or "").strip()
    if not form.validate():
        return render_form("lessons/search.html", form, query=query, hits=[], searched=False)
    hits = search_lessons(query, translations.reader_locale()) if query else []
    return render_template("lessons/search.html", form=form, query=query, hits=hits, searched=bool(query))


@bp.post("/sharing")
@permission_required(Permission.SEE_FAMILY)
def sharing():
    form = SharingForm()
    if not form.validate():
        abort(400)
    services.set_sharing(current_user, bool(form.share.data))
    if form.share.data:
        flash(_("Your lesson progress is now shared with your family member's counselor."), "success")
    else:
        flash(_("Your lesson progress is no longer shared."), "success")
    return redirect(url_for(".catalogue"))


@register_panel
def continue_panel(user):
    if not user.can(Permission.LEARN):
        return None
    found = overview.continue_where_left_off(user.id)
    links = []
    if found is None:
        text = _("You have completed every lesson. You can come back to any of them at any time.")
    else:
        module, lesson = found
        started = lesson.state == "in_progress"
        text = _("Pick up where you left off.") if started else _("Your next lesson is ready.")
        links.append(
            (
                _("%(lesson)s (in “%(module)s”)", lesson=lesson.title, module=module.title),
                url_for("lessons.lesson", slug=lesson.slug),
            )
        )
    links.append((_("All modules and your progress"), url_for("lessons.catalogue")))
    return {"title": _("Continue learning"), "text": text, "links": links}
