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
from portal.lessons.models import ProgressSharing


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
    links = (
        db.session.scalars(
            sa.select(FamilyLink).where(FamilyLink.client_id == client.id, FamilyLink.ended_at.is_(None))
        )
        .unique()
        .all()
    )
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


def clients_with_shared_progress(counselor, limit=20):
    """The counselor's clients with at least one family member sharing progress through an active link."""
    managed = access.clients_for_counselor(counselor).with_only_columns(Client.id).scalar_subquery()
    links = (
        db.session.scalars(
            sa.select(FamilyLink)
            .join(ProgressSharing, ProgressSharing.user_id == FamilyLink.user_id)
            .where(ProgressSharing.enabled.is_(True), FamilyLink.ended_at.is_(None), FamilyLink.client_id.in_(managed))
            .order_by(FamilyLink.client_id)
        )
        .unique()
        .all()
    )
    clients = {}
    for link in links:
        if link.client_id not in clients and access.link_for_client(link.user, link.client_id) is not None:
            clients[link.client_id] = link.client
    return list(clients.values())[:limit]
