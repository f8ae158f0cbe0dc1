"""Admin forms: user search, roles, the audit-log filter."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, EmailField, SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from portal.security import STAFF_ROLES, Role

ROLE_LABELS = {
    Role.FAMILY: _l("Family member"),
    Role.MODERATOR: _l("Moderator"),
    Role.COUNSELOR: _l("Counselor"),
    Role.ADMIN: _l("Admin"),
}


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class SearchForm(FlaskForm):
    """GET filter: no CSRF token needed, nothing changes."""

    class Meta:
        csrf = False

    q = StringField(_l("Search by name or email"), filters=[_strip], validators=[Optional(), Length(max=100)])
    role = SelectField(
        _l("Role"),
        validators=[Optional()],
        choices=[SelectChoice("", _l("Any role"))] + [SelectChoice(r, label) for r, label in ROLE_LABELS.items()],
    )


class RolesForm(FlaskForm):
    roles = SelectMultipleField(
        _l("Roles"),
        choices=[SelectChoice(r, label) for r, label in ROLE_LABELS.items()],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validate_choice=False,  # validate_roles gives a clearer message
    )
    submit = SubmitField(_l("Save roles"))

    def validate_roles(self, field):
        known = {r.value for r in Role}
        unknown = [value for value in field.data or [] if value not in known]
        if unknown:
            raise ValidationError(_l("Unknown role. Choose from family member, moderator, counselor and admin."))
        if not field.data:
            raise ValidationError(_l("Choose at least one role."))


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    action = StringField(
        _l("Action (or its start, such as auth.)"), filters=[_strip], validators=[Optional(), Length(max=60)]
    )
    actor = StringField(
        _l("Who did it (email or user number)"), filters=[_strip], validators=[Optional(), Length(max=254)]
    )
    client = StringField(_l("Client number"), filters=[_strip], validators=[Optional(), Length(max=12)])
    start = DateField(_l("From (date)"), validators=[Optional()])
    end = DateField(_l("To (date, inclusive)"), validators=[Optional()])

    def validate_client(self, field):
        if field.data and not field.data.isdigit():
            raise ValidationError(_l("Enter a client number (digits only)."))

    def validate_end(self, field):
        if field.data and self.start.data and field.data < self.start.data:
            raise ValidationError(_l("The end date is before the start date."))


class StaffInviteForm(FlaskForm):
    email = EmailField(
        _l("Email"), filters=[_strip], validators=[DataRequired(), Length(max=254), Email(check_deliverability=False)]
    )
    roles = SelectMultipleField(
        _l("Roles"),
        choices=[SelectChoice(r.value, label) for r, label in ROLE_LABELS.items() if r in STAFF_ROLES],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validate_choice=False,
    )
    submit = SubmitField(_l("Send invitation"))

    def validate_roles(self, field):
        staff = {r.value for r in STAFF_ROLES}
        if not field.data or any(value not in staff for value in field.data):
            raise ValidationError(_l("Choose at least one of moderator, counselor and admin."))
