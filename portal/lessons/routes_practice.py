"""The "Try this week" practice: commit on the lesson page, answer on a later visit, next step.

Every route is a family member's own: commitments are looked up by id *and* owner, so someone
else's id is a 404. Every change is a POST with a CSRF token; all of it works without JavaScript.
"""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.auth.sessions import current_session_record
from portal.lessons import bp, practice, services
from portal.lessons.forms import ActionForm, OutcomeForm, PracticeNoteForm
from portal.lessons.models import Outcome
from portal.lessons.routes import get_lesson
from portal.main.dashboard import register_panel
from portal.security import Permission, permission_required
from portal.templating import form_status


def get_own_commitment(commitment_id):
    """The current user's commitment, or 404 (someone else's looks like one that does not exist)."""
    found = practice.find_own(current_user, commitment_id)
    if found is None:
        abort(404)
    return found


@bp.post("/read/<slug>/practice")
@permission_required(Permission.LEARN)
def commit_practice(slug):
    lesson = get_lesson(slug)
    if not ActionForm().validate():
        abort(400)
    try:
        practice.commit(current_user, lesson)
    except services.LessonError as error:
        flash(str(error), "error")
    else:
        flash(_("Good plan. We will ask you how it went on your next visit."), "success")
    return redirect(url_for(".lesson", slug=slug, _anchor="try-this-week"))


@bp.post("/practice/<int:commitment_id>/withdraw")
@permission_required(Permission.LEARN)
def withdraw_practice(commitment_id):
    commitment = get_own_commitment(commitment_id)
    if not ActionForm().validate():
        abort(400)
    slug = commitment.lesson.slug
    if practice.withdraw(current_user, commitment):
        flash(_("You took this practice back. You can choose it again at any time."), "success")
    return redirect(url_for(".lesson", slug=slug, _anchor="try-this-week"))


def render_followup(commitment, outcome_form=None, note_form=None):
    """The page for one commitment: "How did it go?" while open, then the matching next step."""
    if outcome_form is None:
        outcome_form = OutcomeForm()
    if note_form is None:
        note_form = PracticeNoteForm(note=commitment.note or "", share=commitment.note_shared)
    html = render_template(
        "lessons/practice.html",
        commitment=commitment,
        outcome_form=outcome_form,
        note_form=note_form,
        action_form=ActionForm(),
        step=practice.next_step(current_user, commitment),
        sharing_on=services.sharing_enabled(current_user),
        Outcome=Outcome,
    )
    return html, form_status(outcome_form, note_form)


@bp.get("/practice/<int:commitment_id>")
@permission_required(Permission.LEARN)
def practice_followup(commitment_id):
    return render_followup(get_own_commitment(commitment_id))


@bp.post("/practice/<int:commitment_id>/outcome")
@permission_required(Permission.LEARN)
def practice_outcome(commitment_id):
    commitment = get_own_commitment(commitment_id)
    form = OutcomeForm()
    if not form.validate():
        return render_followup(commitment, outcome_form=form)
    try:
        practice.record_outcome(current_user, commitment, form.outcome.data)
    except services.LessonError as error:
        flash(str(error), "error")
    return redirect(url_for(".practice_followup", commitment_id=commitment.id, _anchor="next-step"))


@bp.post("/practice/<int:commitment_id>/again")
@permission_required(Permission.LEARN)
def practice_again(commitment_id):
    commitment = get_own_commitment(commitment_id)
    if not ActionForm().validate():
        abort(400)
    try:
        practice.keep_for_another_week(current_user, commitment)
    except services.LessonError as error:
        flash(str(error), "error")
        return redirect(url_for(".practice_followup", commitment_id=commitment.id))
    flash(_("It is on your list for another week. We will ask again on a later visit."), "success")
    return redirect(url_for(".lesson", slug=commitment.lesson.slug, _anchor="try-this-week"))


@bp.post("/practice/<int:commitment_id>/note")
@permission_required(Permission.LEARN)
def practice_note(commitment_id):
    commitment = get_own_commitment(commitment_id)
    form = PracticeNoteForm()
    if not form.validate():
        return render_followup(commitment, note_form=form)
    try:
        practice.save_note(current_user, commitment, form.note.data, form.share.data)
    except services.LessonError as error:
        form.note.errors.append(str(error))
        return render_followup(commitment, note_form=form)
    if commitment.note_shared:
        flash(_("Your note is saved and shared with your family member's counselor."), "success")
    else:
        flash(_("Your note is saved. Only you can read it."), "success")
    return redirect(url_for(".practice_followup", commitment_id=commitment.id, _anchor="practice-note"))


@register_panel
def practice_panel(user):
    """On a later visit: "How did it go?" for each practice the person committed to before this
    sign-in (the answer form is in the panel itself, so no script is needed)."""
    if not user.can(Permission.LEARN):
        return None
    record = current_session_record()
    due = practice.due_for_followup(user, record.created_at if record else None)
    if not due:
        return None
    return {
        "title": _("How did it go?"),
        "text": _("Last time, you chose something to try. Tell us how it went, and we will suggest a next step."),
        "include": "lessons/_practice_followup.html",
        "commitments": due,
        "outcomes": OutcomeForm().outcome.choices,
    }
