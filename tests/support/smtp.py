"""A real SMTP server on loopback (aiosmtpd) that a test can stop and start again."""

import socket
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller


class _Inbox:
    def __init__(self, messages):
        self.messages = messages

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 — aiosmtpd's hook name
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LoopbackSMTP:
    """`messages` is what the server received; `delivered()` first runs a delivery of the
    portal's mail queue, as a server process does in the background."""

    def __init__(self):
        self.messages = []
        self.port = free_port()
        self._controller = None

    def start(self):
        self._controller = Controller(_Inbox(self.messages), hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self):
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def delivered(self):
        from portal.mail import deliver_due

        deliver_due()
        return self.messages

    def flush(self):
        """Deliver what is queued and forget it (mail a test's set-up sent)."""
        self.delivered()
        self.messages.clear()
