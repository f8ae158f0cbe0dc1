"""Forms for posting and changing sessions, RSVPs and attendance."""

from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from portal.calendar import recurrence
from portal.calendar.recurrence import LocalTimeError, Repeat
from portal.i18n import is_valid_timezone, timezone_choices
from portal.lessons.picker import LessonPickerField

MAX_YEARS_AHEAD = 2


def https_link(form, field):
    """Only https:// addresses with a host (no javascript:, http:, data: …)."""
    value = (field.data or "").strip()
    field.data = value
    if not value:
        return
    parts = urlsplit(value)
    if parts.scheme.lower() != "https" or not parts.hostname or any(c.isspace() or ord(c) < 32 for c in value):
        raise ValidationError(_l("Please enter a secure link that starts with https://"))


def date_in_range(form, field):
    if field.data is None:
        return
    today = date.today()
    if field.data < today - timedelta(days=1) or field.data > today + timedelta(days=365 * MAX_YEARS_AHEAD):
        raise ValidationError(_l("Please choose a date between today and two years from now."))


def _wall_time_error(error):
    when = error.when.strftime("%Y-%m-%d %H:%M")
    if error.kind == "nonexistent":
        return _l(
            "%(when)s does not exist in this time zone: the clocks skip ahead that night. Please choose another time.",
            when=when,
        )
    return _l(
        "%(when)s happens twice in this time zone: the clocks go back that night. Please choose another time.",
        when=when,
    )


class DetailsForm(FlaskForm):
    """What all occurrences share."""

    title = StringField(
        _l("Title"),
        default="Family session",
        validators=[DataRequired(), Length(max=120)],
        description=_l("Families see this in the portal. Calendars and emails always say “Family session”."),
    )
    description = TextAreaField(
        _l("Description (optional)"),
        validators=[Optional(), Length(max=5000)],
        description=_l("Markdown: **bold**, lists, https links."),
    )
    start_time = TimeField(_l("Starts at"), validators=[InputRequired()])
    end_time = TimeField(_l("Ends at"), validators=[InputRequired()])
    mode = RadioField(
        _l("Where"),
        choices=[SelectChoice("in_person", _l("In person")), SelectChoice("telehealth", _l("Online (video)"))],
        default="in_person",
        validators=[InputRequired()],
    )
    address = StringField(_l("Address (in person)"), validators=[Optional(), Length(max=300)])
    address_in_feeds = BooleanField(
        _l("Show this address in families’ phone calendars and reminder emails"),
        description=_l(
            "Warning: calendars and emails are outside the portal. Anyone who glances at a family member’s "
            "phone or inbox will see this address, and a place name can reveal what the sessions are about "
            "(for example a treatment center or a meeting hall). Leave this unticked unless the address says "
            "nothing about treatment: families then see “In person (address in the portal)” and the address "
            "after they sign in. Video links are never shown outside the portal."
        ),
    )
    join_url = StringField(
        _l("Video link (online)"),
        validators=[Optional(), Length(max=500), https_link],
        description=_l("Starts with https://"),
    )
    capacity = IntegerField(
        _l("Places (optional)"),
        validators=[Optional(), NumberRange(min=1, max=500)],
        description=_l("Leave empty for no limit. When full, new replies join a waitlist."),
    )
    lessons = LessonPickerField(
        _l("Recommended lessons (optional)"),
        description=_l(
            "Choose lessons, or a whole module, for families to read before the session. "
            "Hold Ctrl (or ⌘) to choose more than one."
        ),
    )

    def validate_end_time(self, field):
        if self.start_time.data and field.data and field.data <= self.start_time.data:
            raise ValidationError(_l("The session must end after it starts."))

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if self.mode.data == "in_person" and not (self.address.data or "").strip() and not self.address.errors:
            self.address.errors = [*self.address.errors, _l("Please enter the address for an in-person session.")]
            valid = False
        if self.mode.data == "telehealth" and not self.join_url.data and not self.join_url.errors:
            self.join_url.errors = [*self.join_url.errors, _l("Please enter the video link for an online session.")]
            valid = False
        return valid

    def lesson_slugs(self):
        """The chosen lessons and whole modules ("module:<slug>"), checked against the curriculum."""
        return list(self.lessons.data or [])

    def duration_minutes(self):
        start = datetime.combine(date.min, self.start_time.data)
        return int((datetime.combine(date.min, self.end_time.data) - start).total_seconds() // 60)


class SeriesForm(DetailsForm):
    """A new series: audience, first date, zone and how it repeats."""

    audience = SelectField(_l("Who is it for"), validators=[InputRequired()])
    start_date = DateField(_l("First date"), validators=[InputRequired(), date_in_range])
    timezone = SelectField(_l("Time zone"), default="America/New_York", validators=[InputRequired()])
    repeat = SelectField(
        _l("Repeats"),
        default=Repeat.NONE,
        choices=[
            SelectChoice(Repeat.NONE, _l("Does not repeat")),
            SelectChoice(Repeat.WEEKLY, _l("Every week")),
            SelectChoice(Repeat.BIWEEKLY, _l("Every 2 weeks")),
            SelectChoice(Repeat.MONTHLY, _l("Every month on the same weekday")),
        ],
    )
    until = DateField(_l("Repeat until (date)"), validators=[Optional(), date_in_range])
    count = IntegerField(
        _l("…or number of sessions"), validators=[Optional(), NumberRange(min=1, max=recurrence.MAX_OCCURRENCES)]
    )
    counselors = SelectMultipleField(_l("Other counselors (optional)"), coerce=int, validators=[Optional()])
    confirm_past = BooleanField(_l("Yes, post it: I know the first session's time has already passed"))
    preview = SubmitField(_l("Preview dates"))
    save = SubmitField(_l("Post sessions"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.timezone.choices = timezone_choices()

    def validate_timezone(self, field):
        if not is_valid_timezone(field.data):
            raise ValidationError(_l("Please choose a time zone from the list."))

    def _end_error(self):
        if self.repeat.data == Repeat.NONE:
            return None
        until, count = self.until.data, self.count.data
        if until and count:
            return _l("Choose an end date or a number of sessions, not both.")
        if not until and not count:
            return _l("Choose when the sessions end: a date or a number of sessions.")
        if until and self.start_date.data and until < self.start_date.data:
            return _l("The end date must be on or after the first date.")
        return None

    def first_start(self):
        return recurrence.localize(self.start_date.data, self.start_time.data, self.timezone.data)

    def rrule(self):
        return recurrence.build_rrule(
            self.repeat.data, self.first_start(), until=self.until.data, count=self.count.data
        )

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        end_error = self._end_error() if not self.until.errors and not self.count.errors else None
        if end_error:
            self.until.errors = [*self.until.errors, end_error]
        if not valid or end_error:
            return False
        try:
            recurrence.check_all_wall_times(self.first_start(), self.rrule())
        except LocalTimeError as error:
            self.start_time.errors = [*self.start_time.errors, _wall_time_error(error)]
            return False
        return True


class FollowingForm(DetailsForm):
    """Change this and all later occurrences."""

    save = SubmitField(_l("Change this and following sessions"))


class AllForm(DetailsForm):
    """Change every occurrence (not the timing: use “this and following” for that)."""

    save = SubmitField(_l("Change all sessions"))
    whole_chain = BooleanField(_l("Change the whole chain: the sessions before and after the split too"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.start_time  # timing is not changed here
        del self.end_time

    duration = IntegerField(_l("Length in minutes"), validators=[InputRequired(), NumberRange(min=15, max=480)])

    def validate_end_time(self, field):
        return None

    def duration_minutes(self):
        return self.duration.data


class ChangeOneForm(FlaskForm):
    new_date = DateField(_l("New date"), validators=[Optional(), date_in_range])
    new_time = TimeField(_l("New start time"), validators=[Optional()])
    join_url = StringField(_l("New video link"), validators=[Optional(), Length(max=500), https_link])
    address = StringField(_l("New address"), validators=[Optional(), Length(max=300)])
    save = SubmitField(_l("Change this session"))

    def validate_new_time(self, field):
        if bool(self.new_date.data) != bool(field.data):
            raise ValidationError(_l("To move the session, give both a new date and a new time."))


class CancelForm(FlaskForm):
    reason = StringField(_l("Reason families will see"), validators=[DataRequired(), Length(max=300)])
    cancel = SubmitField(_l("Cancel this session"))


class RSVPForm(FlaskForm):
    response = RadioField(
        _l("Will you come?"),
        choices=[
            SelectChoice("going", _l("Going")),
            SelectChoice("maybe", _l("Maybe")),
            SelectChoice("not_going", _l("Not going")),
        ],
        validators=[InputRequired()],
    )
    submit = SubmitField(_l("Send reply"))


class ConfirmForm(FlaskForm):
    """A bare POST with CSRF (rotate feed address, mark notices read, attendance)."""

    submit = SubmitField(_l("Confirm"))
