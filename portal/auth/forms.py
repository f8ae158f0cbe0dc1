"""Sign-up, login and account forms (Flask-WTF: CSRF on every one)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, ValidationError

from portal.auth.family_roles import FAMILY_ROLES, role_choices
from portal.auth.names import chosen_name_problems
from portal.auth.passwords import MAX_LENGTH, password_problems
from portal.i18n import LANGUAGE_NAMES, is_valid_timezone, timezone_choices

PASSWORD_HINT = _l("At least 12 characters. A few unrelated words make a strong, memorable password.")


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), filters=[_strip], validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=MAX_LENGTH)])
    submit = SubmitField(_l("Sign in"))


def check_new_password(form, field):
    inputs = [getattr(form, name).data for name in ("email", "display_name") if hasattr(form, name)]
    inputs += getattr(form, "extra_user_inputs", [])
    for problem in password_problems(field.data or "", inputs):
        raise ValidationError(problem)


def check_display_name(form, field):
    """The name rules; a form editing an existing account sets `name_owner` (that account)."""
    for problem in chosen_name_problems(field.data, getattr(form, "name_owner", None)):
        raise ValidationError(problem)


def check_timezone(form, field):
    if not is_valid_timezone(field.data):
        raise ValidationError(_l("Choose a time zone from the list."))


def _email_field(label=_l("Email")):
    return EmailField(
        label, filters=[_strip], validators=[DataRequired(), Length(max=254), Email(check_deliverability=False)]
    )


def _display_name_field():
    return StringField(
        _l("Display name"),
        description=_l("Shown to others in rooms instead of your email. A first name or nickname is fine."),
        filters=[_strip],
        validators=[DataRequired(), check_display_name],
    )


def _new_password_fields(label=_l("Password"), confirm_label=_l("Repeat password")):
    password = PasswordField(
        label, description=PASSWORD_HINT, validators=[DataRequired(), Length(max=MAX_LENGTH), check_new_password]
    )
    confirm = PasswordField(
        confirm_label, validators=[DataRequired(), EqualTo("password", _l("The passwords do not match."))]
    )
    return password, confirm


def _family_role_field(required=False):
    """The family role select: optional (a blank "choose later" first) unless required."""
    blank = SelectChoice("", _l("Choose one") if required else _l("Prefer not to say, or choose later"))
    return SelectField(
        _l("Your role in the family"),
        description=_l("We use it to suggest a path through the lessons. Every lesson stays open to you."),
        choices=[blank] + [SelectChoice(value, label) for value, label in role_choices()],
        validators=[DataRequired(_l("Choose your role in the family."))] if required else [Optional()],
        validate_choice=False,
        filters=[lambda value: value or None],
    )


def check_family_role(form, field):
    if field.data and field.data not in FAMILY_ROLES:
        raise ValidationError(_l("Choose a family role from the list."))


class FamilyRoleForm(FlaskForm):
    """The small form on the Learn page (and its own page) to choose a family role."""

    family_role = _family_role_field(required=True)
    submit = SubmitField(_l("Show my path"))

    def validate_family_role(self, field):
        check_family_role(self, field)


class _TimezoneMixin:
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.timezone.choices = timezone_choices()


class SignupForm(_TimezoneMixin, FlaskForm):
    email = _email_field()
    display_name = _display_name_field()
    timezone = SelectField(_l("Time zone"), choices=[], validate_choice=False, validators=[check_timezone])
    family_role = _family_role_field()
    password, confirm = _new_password_fields()
    submit = SubmitField(_l("Create account"))

    def validate_family_role(self, field):
        check_family_role(self, field)


class ConfirmForm(FlaskForm):
    """A button that carries only the CSRF token."""

    submit = SubmitField(_l("Confirm"))


class ResetRequestForm(FlaskForm):
    email = _email_field()
    submit = SubmitField(_l("Send reset link"))


class ResetPasswordForm(FlaskForm):
    password, confirm = _new_password_fields(_l("New password"), _l("Repeat new password"))
    submit = SubmitField(_l("Set new password"))


def language_choices():
    """Each language named in itself, marked with its own `lang` for screen readers."""
    return [SelectChoice(code, name, render_kw={"lang": code}) for code, name in LANGUAGE_NAMES.items()]


class ProfileForm(_TimezoneMixin, FlaskForm):
    display_name = _display_name_field()
    timezone = SelectField(_l("Time zone"), choices=[], validate_choice=False, validators=[check_timezone])
    locale = SelectField(_l("Language"), choices=language_choices)
    family_role = _family_role_field()
    submit = SubmitField(_l("Save profile"))

    def validate_family_role(self, field):
        check_family_role(self, field)


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=MAX_LENGTH)])
    password, confirm = _new_password_fields(_l("New password"), _l("Repeat new password"))
    submit = SubmitField(_l("Change password"))


class ChangeEmailForm(FlaskForm):
    email = _email_field(_l("New email"))
    password = PasswordField(_l("Your password"), validators=[DataRequired(), Length(max=MAX_LENGTH)])
    submit = SubmitField(_l("Send confirmation link"))


def _code_field(label=_l("Code")):
    return StringField(label, filters=[_strip], validators=[DataRequired(), Length(max=32)])


class ReauthForm(FlaskForm):
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=MAX_LENGTH)])
    code = StringField(
        _l("Code from your authenticator app"), filters=[_strip], validators=[Optional(), Length(max=32)]
    )
    submit = SubmitField(_l("Continue"))


class MfaCodeForm(FlaskForm):
    code = _code_field(_l("Code from your authenticator app, or a recovery code"))
    submit = SubmitField(_l("Verify"))


class MfaEnableForm(FlaskForm):
    code = _code_field(_l("6-digit code from your authenticator app"))
    submit = SubmitField(_l("Turn on two-step sign-in"))


class MfaDisableForm(FlaskForm):
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=MAX_LENGTH)])
    code = _code_field(_l("Code from your authenticator app, or a recovery code"))
    submit = SubmitField(_l("Turn off two-step sign-in"))


class AcceptStaffInvitationForm(_TimezoneMixin, FlaskForm):
    display_name = _display_name_field()
    timezone = SelectField(_l("Time zone"), choices=[], validate_choice=False, validators=[check_timezone])
    password, confirm = _new_password_fields()
    submit = SubmitField(_l("Create my account"))
