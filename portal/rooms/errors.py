"""The one domain error of rooms: a contract error code (docs/realtime.md) and a message to show."""

from flask_babel import gettext as _

MESSAGES = {
    "unauthorized": lambda: _("Please sign in again to use the rooms."),
    "not_found": lambda: _("We could not find that room or message."),
    "not_member": lambda: _("This room is open to a particular group of families only."),
    "guidelines": lambda: _("Please read and accept the community guidelines before posting."),
    "locked": lambda: _("This room is read-only for now."),
    "muted": lambda: _("A moderator has paused your posting in this room for a while."),
    "banned": lambda: _("You can no longer take part in this room."),
    "rate_limited": lambda: _("You are sending messages quickly. Please wait a moment."),
    "slow_mode": lambda: _("This room is in slow mode. Please wait a little before your next message."),
    "empty": lambda: _("Please write a message first."),
    "too_long": lambda: _("Messages can be up to 2,000 characters."),
    "blocked": lambda: _("This message contains words that are not allowed here. Please rephrase it."),
    "held_for_review": lambda: _("Thank you. A moderator will look at your message before it appears."),
    "invalid": lambda: _("That request could not be understood."),
    "too_late": lambda: _("Messages can only be edited within 10 minutes."),
    "unavailable": lambda: _("The portal cannot save messages for a moment. Yours will be sent again shortly."),
    "already_appealed": lambda: _("You already sent an appeal for this decision. A moderator will answer it."),
    "admin_only": lambda: _("Only an administrator can suspend a staff account or lift its suspension."),
}

# Sent when every translation fails (the ack must still go out).
FALLBACK_MESSAGE = "The portal cannot answer for a moment. Please try again shortly."


class RoomError(Exception):
    """A rule refused the request; `code` is one of the contract's error codes."""

    def __init__(self, code, retry_after=None, **extra):
        super().__init__(code)
        self.code = code
        self.retry_after = retry_after
        self.extra = extra

    def as_ack(self):
        try:
            message = MESSAGES[self.code]()
        except Exception:  # noqa: BLE001 - an ack without a translation beats no ack at all
            message = FALLBACK_MESSAGE
        ack = {"ok": False, "error": self.code, "message": message}
        if self.retry_after is not None:
            ack["retry_after"] = self.retry_after
        ack.update(self.extra)
        return ack
