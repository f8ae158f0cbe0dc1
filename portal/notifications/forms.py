"""Notification preferences: a delivery channel per topic and the reminder lead time."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField

from portal.notifications import kinds


class PreferencesForm(FlaskForm):
    """One choice per topic (added below, from kinds.TOPICS), and the reminder lead time."""

    reminder_lead = SelectField(
        _l("Reminder emails before a session you are going to"),
        choices=[SelectChoice(key, label) for key, label in kinds.REMINDER_LEADS.items()],
        default=kinds.DEFAULT_REMINDER_LEAD,
    )

    def topic_fields(self):
        return [self[f"topic_{key}"] for key in kinds.TOPICS]

    def channels(self):
        return {key: self[f"topic_{key}"].data for key in kinds.TOPICS}


for _key, _topic in kinds.TOPICS.items():
    setattr(
        PreferencesForm,
        f"topic_{_key}",
        SelectField(
            _topic.label,
            choices=[SelectChoice(value, label) for value, label in kinds.CHANNELS.items()],
            default=_topic.default,
        ),
    )


class ConfirmForm(FlaskForm):
    """A button and its CSRF token."""
