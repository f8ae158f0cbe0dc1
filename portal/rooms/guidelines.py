"""The community guidelines, versioned: a new version asks everyone to accept again."""

from portal.sanitize import markdown_to_html

VERSION = "2026-11"

TEXT = """\
These rooms are for family members supporting someone in an Intensive Outpatient Program.
They work because people are kind to each other. By joining in, you agree to these guidelines.

1. **Be kind.** Everyone here is carrying something heavy. Disagree gently, and never mock,
   shame or threaten anyone.
2. **Protect privacy — yours and others'.** Use your display name, not your full name. Never
   share anyone's name, photo, address, or details of their treatment. What is said here
   stays here.
3. **Share your own experience.** Speak from "I" rather than telling others what to do. This
   is not the place for medical or legal advice.
4. **No selling, spam or recruiting.** No links to products, services or fundraisers.
5. **If you are in danger, get help now.** These rooms are not watched around the clock. In an
   emergency call 911. The 988 Suicide & Crisis Lifeline answers calls and texts at 988, and
   the SAMHSA National Helpline (free, confidential, 24/7) is 1-800-662-4357.

Moderators may hold, hide or remove messages, and may mute, ban or suspend people who break
these guidelines. You will always be told when a moderator acts on something you wrote.
New members' first few messages in each room are read by a moderator before they appear.
"""


def as_html():
    return markdown_to_html(TEXT)
