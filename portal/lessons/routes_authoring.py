"""Authoring views (Permission.AUTHOR_LESSONS): modules, lessons, preview, history, questions."""

import sqlalchemy as sa
from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from portal import sanitize
from portal.extensions import db
from portal.lessons import authoring, bp
from portal.lessons.forms import BODY_MAX, ActionForm, LessonForm, ModuleForm, MoveForm, QuestionForm
from portal.lessons.models import Lesson, LessonRevision, Module, Question
from portal.security import Permission, permission_required
from portal.templating import form_status

author_required = permission_required(Permission.AUTHOR_LESSONS)


@bp.get("/author")
@author_required
def author_index():
    modules = db.session.scalars(
        sa.select(Module).order_by(Module.position, Module.id).options(sa.orm.selectinload(Module.lessons))
    ).all()
    return render_template("lessons/author/index.html", modules=modules, move_form=MoveForm())


@bp.route("/author/modules/new", methods=["GET", "POST"])
@bp.route("/author/modules/<int:module_id>", methods=["GET", "POST"])
@author_required
def edit_module(module_id=None):
    module = db.get_or_404(Module, module_id) if module_id else None
    form = ModuleForm(obj=module)
    if request.method == "GET" and module is not None:
        form.intro.data = module.intro_md
    if form.validate_on_submit():
        try:
            module = authoring.save_module(
                module,
                title=form.title.data,
                slug=form.slug.data,
                summary=form.summary.data,
                intro=form.intro.data,
                status=form.status.data,
            )
        except authoring.AuthoringError as error:
            form[error.field].errors.append(str(error))
        else:
            flash(_("Module saved."), "success")
            return redirect(url_for(".author_index"))
    status = form_status(form)
    return render_template("lessons/author/module_form.html", form=form, module=module), status


def _lesson_form(lesson):
    form = LessonForm(obj=lesson)
    modules = db.session.scalars(sa.select(Module).order_by(Module.position, Module.id))
    form.module_id.choices = [SelectChoice(m.id, m.title) for m in modules]
    if request.method == "GET":
        if lesson is not None:
            form.body.data = lesson.body_md
        elif request.args.get("module", type=int):
            form.module_id.data = request.args.get("module", type=int)
    return form


@bp.route("/author/lessons/new", methods=["GET", "POST"])
@bp.route("/author/lessons/<int:lesson_id>", methods=["GET", "POST"])
@author_required
def edit_lesson(lesson_id=None):
    lesson = db.get_or_404(Lesson, lesson_id) if lesson_id else None
    form = _lesson_form(lesson)
    if not form.module_id.choices:
        flash(_("Please create a module first."), "error")
        return redirect(url_for(".edit_module"))
    if form.validate_on_submit():
        fields = {
            name: form[name].data
            for name in (
                "module_id",
                "title",
                "slug",
                "summary",
                "minutes",
                "reflection_prompt",
                "body",
                "practice_text",
                "practice_followup",
                "status",
            )
        }
        try:
            lesson = authoring.save_lesson(lesson, current_user, **fields)
        except authoring.AuthoringError as error:
            form[error.field].errors.append(str(error))
        else:
            flash(_("Lesson saved."), "success")
            return redirect(url_for(".edit_lesson", lesson_id=lesson.id))
    preview = sanitize.markdown_to_html(form.body.data or "")
    status = form_status(form)
    return render_template("lessons/author/lesson_form.html", form=form, lesson=lesson, preview=preview), status


@bp.post("/author/preview")
@author_required
def preview():
    """Sanitized HTML of the posted Markdown, for the live preview (CSRF via X-CSRFToken)."""
    payload = request.get_json() if request.is_json else request.form
    body = payload.get("body") if hasattr(payload, "get") else None
    if not isinstance(body, str):
        return jsonify(ok=False, message=_("Nothing to preview.")), 400
    if len(body) > BODY_MAX:
        return jsonify(ok=False, message=_("Please keep a lesson under 50,000 characters.")), 400
    return jsonify(ok=True, html=str(sanitize.markdown_to_html(body)))


@bp.post("/author/modules/<int:module_id>/move")
@author_required
def move_module(module_id):
    module = db.get_or_404(Module, module_id)
    form = MoveForm()
    if not form.validate():
        abort(400)
    authoring.move_module(module, form.direction.data)
    return redirect(url_for(".author_index", _anchor=f"module-{module.id}"))


@bp.post("/author/lessons/<int:lesson_id>/move")
@author_required
def move_lesson(lesson_id):
    lesson = db.get_or_404(Lesson, lesson_id)
    form = MoveForm()
    if not form.validate():
        abort(400)
    authoring.move_lesson(lesson, form.direction.data)
    return redirect(url_for(".author_index", _anchor=f"module-{lesson.module_id}"))


@bp.get("/author/lessons/<int:lesson_id>/history")
@author_required
def history(lesson_id):
    lesson = db.get_or_404(Lesson, lesson_id)
    return render_template("lessons/author/history.html", lesson=lesson, revisions=authoring.revisions_of(lesson))


def get_revision(lesson, revision_id):
    revision = db.session.get(LessonRevision, revision_id)
    if revision is None or revision.lesson_id != lesson.id:
        abort(404)
    return revision


@bp.get("/author/lessons/<int:lesson_id>/revisions/<int:revision_id>")
@author_required
def revision(lesson_id, revision_id):
    lesson = db.get_or_404(Lesson, lesson_id)
    rev = get_revision(lesson, revision_id)
    diff = authoring.diff_lines(rev.body_md, lesson.body_md)
    return render_template(
        "lessons/author/revision.html", lesson=lesson, revision=rev, diff=diff, action_form=ActionForm()
    )


@bp.post("/author/lessons/<int:lesson_id>/revisions/<int:revision_id>/restore")
@author_required
def restore(lesson_id, revision_id):
    lesson = db.get_or_404(Lesson, lesson_id)
    rev = get_revision(lesson, revision_id)
    if not ActionForm().validate():
        abort(400)
    authoring.restore_revision(lesson, rev, current_user)
    flash(_("The earlier version was restored. The version it replaced is kept in the history."), "success")
    return redirect(url_for(".edit_lesson", lesson_id=lesson.id))


@bp.route("/author/lessons/<int:lesson_id>/questions", methods=["GET", "POST"])
@bp.route("/author/lessons/<int:lesson_id>/questions/<int:question_id>", methods=["GET", "POST"])
@author_required
def questions(lesson_id, question_id=None):
    lesson = db.get_or_404(Lesson, lesson_id)
    question = db.get_or_404(Question, question_id) if question_id else None
    if question is not None and question.lesson_id != lesson.id:
        abort(404)
    form = QuestionForm()
    if request.method == "GET" and question is not None:
        feedback = {f"feedback_{n}": text for n, text in enumerate(question.feedback or [], start=1)}
        form = QuestionForm(
            data={
                "prompt": question.prompt,
                "choices": "\n".join(question.choices),
                "answer": question.answer + 1,
                "explanation": question.explanation,
            }
            | feedback
        )
    if form.validate_on_submit():
        authoring.save_question(
            lesson,
            question,
            prompt=form.prompt.data,
            choices=form.choice_list(),
            answer=form.answer.data - 1,
            explanation=form.explanation.data,
            feedback=form.feedback_list(),
        )
        flash(_("Question saved."), "success")
        return redirect(url_for(".questions", lesson_id=lesson.id))
    status = form_status(form)
    return render_template(
        "lessons/author/questions.html", lesson=lesson, question=question, form=form, action_form=ActionForm()
    ), status


@bp.post("/author/lessons/<int:lesson_id>/questions/<int:question_id>/delete")
@author_required
def delete_question(lesson_id, question_id):
    lesson = db.get_or_404(Lesson, lesson_id)
    question = db.get_or_404(Question, question_id)
    if question.lesson_id != lesson.id or not ActionForm().validate():
        abort(404)
    authoring.delete_question(question)
    flash(_("Question deleted."), "success")
    return redirect(url_for(".questions", lesson_id=lesson.id))
