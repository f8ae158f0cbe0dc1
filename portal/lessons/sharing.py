"""Lesson progress a family member chose to share with their linked client's counselor.

Shown only while the family member's sharing is on and their family link is valid now
(portal.care.access decides the latter, on every request).
"""

from dataclasses import dataclass

import sqlalchemy as sa

from portal.care import access
from portal.care.models import Client, FamilyLink
from portal.extensions import db
from portal.lessons import overview, services


@dataclass
class SharedProgress:
    display_name: str
    modules: list

    @property
    def completed(self):
        return sum(m.completed for m in self.modules)

    @property
    def total(self):
        return sum(m.total for m in self.modules)


def client_for_counselor(user, client_id):
    """The client if this counselor (or admin) manages them, else None."""
    return db.session.scalar(access.clients_for_counselor(user).where(Client.id == client_id))


def shared_progress(client):
    """Progress of each family member of the client who shares it through an active link."""
    links = db.session.scalars(
        sa.select(FamilyLink).where(FamilyLink.client_id == client.id, FamilyLink.ended_at.is_(None))
    ).unique().all()
    members, seen = [], set()
    for link in links:
        member = link.user
        if member.id in seen or not services.sharing_enabled(member):
            continue
        if access.link_for_client(member, client.id) is None:
            continue
        seen.add(member.id)
        members.append(SharedProgress(member.display_name, overview.overview(member.id)))
    return members
