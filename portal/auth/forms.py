"""Sign-up, login and account forms (Flask-WTF: CSRF on every one)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from portal.auth.passwords import MAX_LENGTH, password_problems
from portal.i18n import is_valid_timezone, timezone_choices


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=MAX_LENGTH)])
    submit = SubmitField(_l("Sign in"))


def check_new_password(form, field):
    inputs = [getattr(form, name).data for name in ("email", "display_name") if hasattr(form, name)]
    for problem in password_problems(field.data or "", inputs):
        raise ValidationError(problem)


def check_timezone(form, field):
    if not is_valid_timezone(field.data):
        raise ValidationError(_l("Choose a time zone from the list."))


class SignupForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)])
    display_name = StringField(
        _l("Display name"),
        description=_l("Shown to others in rooms instead of your email. A first name or nickname is fine."),
        validators=[DataRequired(), Length(min=2, max=40)],
    )
    timezone = SelectField(_l("Time zone"), choices=[], validate_choice=False, validators=[check_timezone])
    password = PasswordField(
        _l("Password"),
        description=_l("At least 12 characters. A few unrelated words make a strong, memorable password."),
        validators=[DataRequired(), Length(max=MAX_LENGTH), check_new_password],
    )
    confirm = PasswordField(_l("Repeat password"), validators=[DataRequired(), EqualTo("password", _l("The passwords do not match."))])
    submit = SubmitField(_l("Create account"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.timezone.choices = timezone_choices()


class ConfirmForm(FlaskForm):
    """A button that carries only the CSRF token."""

    submit = SubmitField(_l("Confirm"))


class ResetRequestForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)])
    submit = SubmitField(_l("Send reset link"))


class ResetPasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"),
        description=_l("At least 12 characters. A few unrelated words make a strong, memorable password."),
        validators=[DataRequired(), Length(max=MAX_LENGTH), check_new_password],
    )
    confirm = PasswordField(_l("Repeat new password"), validators=[DataRequired(), EqualTo("password", _l("The passwords do not match."))])
    submit = SubmitField(_l("Set new password"))


class ProfileForm(FlaskForm):
    display_name = StringField(
        _l("Display name"),
        description=_l("Shown to others in rooms instead of your email."),
        validators=[DataRequired(), Length(min=2, max=40)],
    )
    timezone = SelectField(_l("Time zone"), choices=[], validate_choice=False, validators=[check_timezone])
    submit = SubmitField(_l("Save profile"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.timezone.choices = timezone_choices()
