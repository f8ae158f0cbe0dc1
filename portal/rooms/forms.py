"""Forms for the guidelines, the moderation console and room settings."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError

from portal.rooms.models import RoomKind, WatchedAction


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class AcceptGuidelinesForm(FlaskForm):
    agree = BooleanField(_l("I have read the guidelines and will follow them"), validators=[DataRequired()])
    submit = SubmitField(_l("Accept the guidelines"))


ACTIONS = [
    SelectChoice("hide", _l("Hide the message")),
    SelectChoice("approve", _l("Approve (held message)")),
    SelectChoice("dismiss", _l("Dismiss: nothing wrong")),
    SelectChoice("warn", _l("Warn the author")),
    SelectChoice("mute", _l("Mute the author in this room")),
    SelectChoice("ban", _l("Ban the author from this room")),
    SelectChoice("suspend", _l("Suspend the author's account from the rooms")),
]
REASON_NEEDED = {"hide", "warn", "mute", "ban", "suspend"}


class ModerateForm(FlaskForm):
    action = SelectField(_l("Action"), choices=ACTIONS)
    reason = StringField(_l("Reason (the person is told)"), filters=[_strip], validators=[Length(max=300)])
    minutes = IntegerField(
        _l("Minutes (mute only; empty means until lifted)"),
        validators=[Optional(), NumberRange(min=1, max=60 * 24 * 90)],
    )
    submit = SubmitField(_l("Apply"))

    def validate_reason(self, field):
        if self.action.data in REASON_NEEDED and not field.data:
            raise ValidationError(_l("Please give a reason: the person will be told."))


class PersonForm(FlaskForm):
    action = SelectField(
        _l("Action"),
        choices=[
            SelectChoice("warn", _l("Warn the person")),
            SelectChoice("suspend", _l("Suspend the account from the rooms")),
        ],
    )
    reason = StringField(
        _l("Reason (the person is told)"), filters=[_strip], validators=[DataRequired(), Length(max=300)]
    )
    submit = SubmitField(_l("Apply"))


class MessageForm(FlaskForm):
    """The room composer as a plain form (posting without JavaScript). No validators: the body is
    checked by services.post_message, the same rules as a socket `send`."""

    body = TextAreaField(_l("Your message"))
    client_id = HiddenField()  # one per page load: pressing Send twice stores the message once
    submit = SubmitField(_l("Send"))


class DismissForm(FlaskForm):
    submit = SubmitField(_l("Dismiss"))


class WatchedWordForm(FlaskForm):
    phrase = StringField(_l("Word or phrase"), filters=[_strip], validators=[DataRequired(), Length(max=100)])
    action = SelectField(
        _l("What happens"),
        choices=[
            SelectChoice(WatchedAction.BLOCK, _l("Block the message")),
            SelectChoice(WatchedAction.HOLD, _l("Hold the message for review")),
            SelectChoice(WatchedAction.FLAG, _l("Post it, and flag it for review")),
        ],
    )
    submit = SubmitField(_l("Add"))


class RoomSettingsForm(FlaskForm):
    name = StringField(_l("Name"), filters=[_strip], validators=[DataRequired(), Length(max=80)])
    description = TextAreaField(
        _l("Description"),
        filters=[_strip],
        validators=[Length(max=2000)],
        description=_l("Bold, italic, lists and https links are allowed."),
    )
    locked = BooleanField(_l("Locked (read-only for members)"))
    slow_mode_seconds = IntegerField(
        _l("Slow mode: seconds between one person's messages (0 = off)"),
        default=0,
        validators=[NumberRange(min=0, max=3600)],
    )
    archived = BooleanField(_l("Archived (hidden from members)"))
    submit = SubmitField(_l("Save settings"))


class NewRoomForm(FlaskForm):
    slug = StringField(
        _l("Address (lower-case letters, digits and dashes)"),
        filters=[_strip],
        validators=[DataRequired(), Length(max=64), Regexp(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")],
    )
    name = StringField(_l("Name"), filters=[_strip], validators=[DataRequired(), Length(max=80)])
    description = TextAreaField(_l("Description"), filters=[_strip], validators=[Length(max=2000)])
    kind = SelectField(
        _l("Who may join"),
        choices=[
            SelectChoice(RoomKind.ALL_FAMILIES, _l("All family members")),
            SelectChoice(RoomKind.PROGRAM, _l("Families linked to one program")),
            SelectChoice(RoomKind.INVITE_ONLY, _l("Invited people only")),
        ],
    )
    program_id = SelectField(_l("Program (for program rooms)"), coerce=int, choices=[], validate_choice=False)
    submit = SubmitField(_l("Create room"))


class InviteForm(FlaskForm):
    email = EmailField(
        _l("Email of the person to invite"), filters=[_strip], validators=[DataRequired(), Length(max=254)]
    )
    submit = SubmitField(_l("Invite"))


class AppealForm(FlaskForm):
    reason = TextAreaField(
        _l("Why should the moderators look again?"),
        description=_l("Up to 2,000 characters. You can send one appeal for this decision."),
        filters=[_strip],
        validators=[DataRequired(), Length(max=2000)],
    )
    submit = SubmitField(_l("Send my appeal"))


class AppealDecisionForm(FlaskForm):
    decision = SelectField(
        _l("Decision"),
        choices=[
            SelectChoice("lift", _l("Lift it now")),
            SelectChoice("uphold", _l("Keep it in place")),
        ],
    )
    response = StringField(
        _l("A note to the person (optional)"), filters=[_strip], validators=[Optional(), Length(max=300)]
    )
    submit = SubmitField(_l("Decide"))


class OnCallForm(FlaskForm):
    email = EmailField(_l("Staff member's email"), filters=[_strip], validators=[DataRequired(), Length(max=254)])
    program_id = SelectField(_l("Rooms"), coerce=int, choices=[], validate_choice=False)
    backup = BooleanField(_l("Backup: alerted only if no one has handled the post in time"))
    position = IntegerField(_l("Order among backups"), default=0, validators=[Optional(), NumberRange(min=0, max=99)])
    submit = SubmitField(_l("Add to the on-call list"))


class CheckInForm(FlaskForm):
    body = TextAreaField(
        _l("Your private message"),
        filters=[_strip],
        validators=[DataRequired(), Length(max=2000)],
    )
    submit = SubmitField(_l("Send privately"))
