"""Lesson progress a family member chose to share with their linked client's counselor: the
lessons completed, and the "Try this week" practices committed to and how they went (never a
practice's note unless the person shared that one note).

Shown only while the family member's sharing is on and their family link is valid now
(portal.care.access decides the latter, on every request).
"""

from dataclasses import dataclass, field

import sqlalchemy as sa

from portal.care import access
from portal.lessons import overview, practice, services
from portal.lessons.models import ProgressSharing


@dataclass
class SharedProgress:
    display_name: str
    modules: list
    practice: list = field(default_factory=list)  # practice.SharedPractice, newest first

    @property
    def completed(self):
        return sum(m.completed for m in self.modules)

    @property
    def total(self):
        return sum(m.total for m in self.modules)


def client_for_counselor(user, client_id):
    """The client if this counselor (or admin) manages them, else None."""
    return access.managed_client(user, client_id)


def shared_progress(client):
    """Progress of each family member of the client who shares it through an active link."""
    members = access.linked_family(client.id, include=services.sharing_enabled)
    return [
        SharedProgress(member.display_name, overview.overview(member.id), practice.shared_practice(member.id))
        for member in members
    ]


def clients_with_shared_progress(counselor, limit=20):
    """The counselor's clients with at least one family member sharing progress through an active link."""
    sharing = sa.select(ProgressSharing.user_id).where(ProgressSharing.enabled.is_(True))
    return access.managed_clients_linked_to(counselor, sharing)[:limit]
