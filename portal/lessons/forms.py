"""Forms for learners and authors. Every POST form carries a CSRF token."""

from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SearchField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from portal.lessons.models import Outcome, Status
from portal.lessons.picker import LessonPickerField

BODY_MAX = 50_000
MAX_CHOICES = 6
SLUG = Regexp(r"^[a-z0-9]+(?:-[a-z0-9]+)*$", message=_l("Use lowercase letters, numbers and single hyphens."))
STATUS_CHOICES = [
    SelectChoice(Status.DRAFT, _l("Draft (only authors see it)")),
    SelectChoice(Status.PUBLISHED, _l("Published (families see it)")),
]


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class AnswerForm(FlaskForm):
    question_id = IntegerField(validators=[InputRequired()])
    choice = IntegerField(_l("Your answer"), validators=[InputRequired(message=_l("Please choose an answer."))])


class ReflectionForm(FlaskForm):
    body = TextAreaField(
        _l("Your reflection"),
        validators=[
            DataRequired(message=_l("Please write something before saving.")),
            Length(max=10_000, message=_l("Please keep a reflection under 10,000 characters.")),
        ],
        description=_l("Only you can read this. Not your counselor, not the staff."),
    )


class OutcomeForm(FlaskForm):
    """ "How did it go?" for one "Try this week" commitment."""

    outcome = RadioField(
        _l("How did it go?"),
        choices=[
            SelectChoice(Outcome.TRIED.value, _l("I tried it")),
            SelectChoice(Outcome.NOT_YET.value, _l("I didn't get to it")),
            SelectChoice(Outcome.WENT_BADLY.value, _l("It went badly")),
        ],
        validators=[InputRequired(message=_l("Please choose how it went."))],
    )


class PracticeNoteForm(FlaskForm):
    """The optional private note after a practice went badly."""

    note = TextAreaField(
        _l("A private note for your counselor (optional)"),
        validators=[Optional(), Length(max=2_000, message=_l("Please keep a note under 2,000 characters."))],
        description=_l("Only you can read this note, unless you choose to share it below."),
    )
    share = BooleanField(_l("Share this note with my family member's counselor"))


class SharingForm(FlaskForm):
    share = BooleanField(_l("Share my lesson progress with my family member's counselor"))


class SearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = SearchField(_l("Search lessons"), validators=[Optional(), Length(max=200)])


class VerifyForm(FlaskForm):
    class Meta:
        csrf = False

    code = StringField(
        _l("Verification code"),
        validators=[DataRequired(), Length(max=40)],
        description=_l("It looks like FB-XXXXX-XXXXX and is printed on the certificate."),
    )


class ModuleForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    slug = StringField(_l("Web address name (slug)"), validators=[DataRequired(), Length(max=80), SLUG])
    summary = TextAreaField(_l("Summary"), validators=[Optional(), Length(max=500)])
    intro = TextAreaField(_l("Introduction (Markdown)"), validators=[Optional(), Length(max=BODY_MAX)])
    status = SelectField(_l("Status"), choices=STATUS_CHOICES)


class LessonForm(FlaskForm):
    module_id = SelectField(_l("Module"), coerce=int)
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    slug = StringField(_l("Web address name (slug)"), validators=[DataRequired(), Length(max=80), SLUG])
    summary = TextAreaField(_l("Summary"), validators=[Optional(), Length(max=500)])
    minutes = IntegerField(_l("Estimated minutes"), validators=[InputRequired(), NumberRange(min=1, max=120)])
    reflection_prompt = TextAreaField(_l("Reflection prompt"), validators=[Optional(), Length(max=500)])
    body = TextAreaField(
        _l("Lesson text (Markdown)"),
        validators=[DataRequired(), Length(max=BODY_MAX, message=_l("Please keep a lesson under 50,000 characters."))],
    )
    practice_text = TextAreaField(
        _l("Try this week (practice)"),
        validators=[Optional(), Length(max=500)],
        description=_l("One small, safe thing to try this week, in plain words. Every lesson should have one."),
    )
    practice_followup = StringField(
        _l("Follow-up lesson if it went badly (slug)"),
        validators=[Optional(), Length(max=80), SLUG],
        description=_l("The web address name of another lesson, for example calm-hard-conversations."),
    )
    status = SelectField(_l("Status"), choices=STATUS_CHOICES)


class QuestionForm(FlaskForm):
    prompt = StringField(_l("Question"), validators=[DataRequired(), Length(max=500)])
    choices = TextAreaField(
        _l("Answers, one per line"),
        validators=[DataRequired(), Length(max=2000)],
        description=_l("Between 2 and 6 answers."),
    )
    answer = IntegerField(
        _l("Number of the correct answer"),
        validators=[InputRequired(), NumberRange(min=1, max=6)],
        description=_l("1 for the first line, 2 for the second, and so on."),
    )
    explanation = TextAreaField(
        _l("General explanation"),
        validators=[Optional(), Length(max=1000)],
        description=_l("Shown after an answer that has no feedback of its own."),
    )

    def choice_list(self):
        return [line.strip() for line in (self.choices.data or "").splitlines() if line.strip()]

    def feedback_fields(self):
        return [self[f"feedback_{n}"] for n in range(1, MAX_CHOICES + 1)]

    def feedback_list(self):
        """The feedback for each answer line, in order ("" where none was written)."""
        return [(field.data or "").strip() for field in self.feedback_fields()][: len(self.choice_list())]

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        for field in self.feedback_fields()[len(self.choice_list()) :]:
            if (field.data or "").strip():
                field.errors.append(_l("There is no answer with this number. Add the answer or clear this box."))
                valid = False
        return valid

    def validate_choices(self, field):
        choices = self.choice_list()
        if not 2 <= len(choices) <= 6:
            raise ValidationError(_l("Please give between 2 and 6 answers, one per line."))
        if any(len(c) > 300 for c in choices):
            raise ValidationError(_l("Please keep each answer under 300 characters."))

    def validate_answer(self, field):
        if field.data is not None and field.data > len(self.choice_list()):
            raise ValidationError(_l("That number does not match one of the answers."))


for _n in range(1, MAX_CHOICES + 1):
    setattr(
        QuestionForm,
        f"feedback_{_n}",
        TextAreaField(
            _l("Feedback for answer %(n)d", n=_n),
            validators=[Optional(), Length(max=1000, message=_l("Please keep feedback under 1,000 characters."))],
            description=_l("Why this answer is right, or why it is tempting but wrong."),
        ),
    )


class MoveForm(FlaskForm):
    direction = HiddenField(validators=[DataRequired()])

    def validate_direction(self, field):
        if field.data not in {"up", "down"}:
            raise ValidationError("up or down")


def worksheet_form(sheet, data=None):
    """A form for one worksheet (portal/lessons/worksheets.py): a text area per field, all optional."""
    from portal.lessons.worksheets import FIELD_MAX

    class WorksheetForm(FlaskForm):
        pass

    too_long = _l("Please keep each answer under %(n)s characters.", n=f"{FIELD_MAX:,}")
    for item in sheet.fields:
        setattr(
            WorksheetForm,
            item.name,
            TextAreaField(
                item.label, validators=[Optional(), Length(max=FIELD_MAX, message=too_long)], description=item.help
            ),
        )
    return WorksheetForm(data=data) if data is not None else WorksheetForm()


class AssignForm(FlaskForm):
    """A counselor assigns lessons, whole modules or worksheets to a client's linked family members."""

    items = LessonPickerField(
        _l("What to read or do"),
        worksheets=True,
        description=_l("Choose lessons, a whole module or worksheets. Hold Ctrl (or ⌘) to choose more than one."),
    )
    members = SelectMultipleField(
        _l("For whom"),
        coerce=int,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validators=[DataRequired(_l("Choose at least one family member."))],
    )
    due_on = DateField(_l("Due date (optional)"), validators=[Optional()])
    note = TextAreaField(
        _l("A short note (optional)"),
        validators=[Optional(), Length(max=300)],
        description=_l("Families see this with the assignment. Do not write anything about the client's treatment."),
    )
    submit = SubmitField(_l("Assign"))

    def validate_items(self, field):
        if not field.data:
            raise ValidationError(_l("Choose at least one lesson, module or worksheet."))

    def validate_due_on(self, field):
        if field.data and not (date.today() - timedelta(days=1) <= field.data <= date.today() + timedelta(days=366)):
            raise ValidationError(_l("Choose a due date between today and one year from now."))
