"""Forms for programs, clients, consents, revocation and invitations (CSRF on every one)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    RadioField,
    SearchField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, ValidationError

from portal.care.consent_text import DEFAULT_PURPOSE, LANGUAGES
from portal.i18n import is_valid_timezone, timezone_choices


def strip(value):
    return value.strip() if isinstance(value, str) else value


def check_timezone(form, field):
    if not is_valid_timezone(field.data):
        raise ValidationError(_l("Choose a time zone from the list."))


class ProgramForm(FlaskForm):
    name = StringField(filters=[strip], label=_l("Name"), validators=[DataRequired(), Length(max=120)])
    description = TextAreaField(filters=[strip], label=_l("Description"), validators=[Optional(), Length(max=2000)])
    timezone = SelectField(_l("Time zone"), choices=[], validate_choice=False, validators=[check_timezone])
    active = BooleanField(_l("Active (open for new clients)"), default=True)
    counselor_ids = SelectMultipleField(_l("Assigned counselors"), coerce=int, choices=[])
    submit = SubmitField(_l("Save program"))

    def __init__(self, *args, counselors=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.timezone.choices = timezone_choices()
        self.counselor_ids.choices = [SelectChoice(u.id, f"{u.display_name} ({u.email})") for u in counselors]


class ClientForm(FlaskForm):
    full_name = StringField(filters=[strip], label=_l("Full name"), validators=[DataRequired(), Length(min=2, max=120)])
    program_id = SelectField(_l("Program"), coerce=int, choices=[])
    enrollment_start = DateField(_l("Enrollment start"), validators=[DataRequired()])
    expected_end = DateField(_l("Expected end"), validators=[Optional()])
    primary_counselor_id = SelectField(_l("Primary counselor"), coerce=int, choices=[])
    record_number = StringField(
        filters=[strip], label=_l("Record number (optional)"), validators=[Optional(), Length(max=40)]
    )
    confirm_transfer = BooleanField(
        _l(
            "I understand: moving the client to another program ends their family links, "
            "and each family member needs a new consent."
        )
    )
    submit = SubmitField(_l("Save client"))

    def __init__(self, *args, programs=(), counselors=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.program_id.choices = [SelectChoice(p.id, p.name) for p in programs]
        self.primary_counselor_id.choices = [SelectChoice(0, _l("No primary counselor"))] + [
            SelectChoice(u.id, u.display_name) for u in counselors
        ]


class SearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = SearchField(
        filters=[strip], label=_l("Search by name or record number"), validators=[Optional(), Length(max=120)]
    )


class EndEnrollmentForm(FlaskForm):
    status = RadioField(
        _l("How the enrollment ended"),
        choices=[SelectChoice("completed", _l("Completed the program")), SelectChoice("discharged", _l("Discharged"))],
        validators=[DataRequired()],
    )
    ended_on = DateField(_l("Date"), validators=[DataRequired()])
    submit = SubmitField(_l("End enrollment"))


class ConsentForm(FlaskForm):
    recipient_name = StringField(
        filters=[strip], label=_l("Recipient's name"), validators=[DataRequired(), Length(max=120)]
    )
    recipient_relationship = StringField(
        filters=[strip],
        label=_l("Relationship to the client"),
        description=_l("For example: parent, spouse, sister."),
        validators=[DataRequired(), Length(max=60)],
    )
    recipient_email = EmailField(
        filters=[strip],
        label=_l("Recipient's email"),
        description=_l("The invitation goes to this address; they sign in with it."),
        validators=[DataRequired(), Length(max=254), Email(check_deliverability=False)],
    )
    includes_attendance = BooleanField(_l("Also share whether the client attended sessions"))
    purpose = TextAreaField(
        filters=[strip],
        label=_l("Purpose of the disclosure"),
        default=DEFAULT_PURPOSE["en"],
        validators=[DataRequired(), Length(max=300)],
    )
    # Each language is named in its own words (not translated), as language switches are.
    language = RadioField(
        _l("Language the client reads the consent in"),
        choices=[SelectChoice(code, name) for code, name in LANGUAGES.items()],
        default="en",
        validators=[DataRequired()],
    )
    expiry_kind = RadioField(
        _l("The consent ends"),
        choices=[SelectChoice("enrollment", _l("At the end of IOP enrollment")), SelectChoice("date", _l("On a date"))],
        default="enrollment",
        validators=[DataRequired()],
    )
    expires_on = DateField(_l("End date"), validators=[Optional()], description=_l("Only when ending on a date."))
    submit = SubmitField(_l("Review consent"))

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if self.expiry_kind.data == "date" and self.expires_on.data is None and not self.expires_on.errors:
            self.expires_on.errors = [*self.expires_on.errors, _l("Enter the date the consent ends.")]
            valid = False
        return valid

    def expiry_date(self):
        return self.expires_on.data if self.expiry_kind.data == "date" else None


class SignConsentForm(ConsentForm):
    """The review step: the same values (hidden) plus the client's signature."""

    shown_sha256 = HiddenField(validators=[DataRequired(), Length(max=64)])
    signature_name = StringField(
        filters=[strip],
        label=_l("Client: type your full name to sign"),
        validators=[DataRequired(), Length(max=120)],
    )
    attest = BooleanField(_l("I have read this consent, I understand it, and I agree to it."))
    submit = SubmitField(_l("Sign consent"))
    edit = SubmitField(_l("Change the details"))


class RevokeForm(FlaskForm):
    requested_by = StringField(
        filters=[strip],
        label=_l("Who asked to revoke"),
        description=_l("Usually the client. Write their name."),
        validators=[DataRequired(), Length(max=120)],
    )
    requested_on = DateField(_l("When they asked"), validators=[DataRequired()])
    method = RadioField(
        _l("How they asked"),
        choices=[
            SelectChoice("in_person", _l("In person")),
            SelectChoice("phone", _l("By phone")),
            SelectChoice("writing", _l("In writing")),
        ],
        validators=[DataRequired()],
    )
    submit = SubmitField(_l("Revoke consent now"))


class ButtonForm(FlaskForm):
    """A POST button that carries only the CSRF token."""

    submit = SubmitField(_l("Confirm"))


# Dates a person could mean; anything else is a typing slip (and 0001-01-01 cannot become UTC).
FIRST_YEAR, LAST_YEAR = 1900, 9998


def sensible_year(form, field):
    if field.data is not None and not FIRST_YEAR <= field.data.year <= LAST_YEAR:
        raise ValidationError(
            _l("Enter a date between the years %(first)s and %(last)s.", first=FIRST_YEAR, last=LAST_YEAR)
        )


class AccountingPeriodForm(FlaskForm):
    """The period of an accounting of disclosures: a GET form, so it changes nothing."""

    class Meta:
        csrf = False

    start = DateField(_l("From"), validators=[InputRequired(), sensible_year])
    end = DateField(_l("To"), validators=[InputRequired(), sensible_year])

    def validate_end(self, field):
        if self.start.data and field.data and self.start.data > field.data:
            raise ValidationError(_l("The last day must be on or after the first day."))
