from datetime import date, timedelta

from portal.care import access
from portal.clock import utcnow
from portal.security import Role
from tests.factories import link_family, make_client, make_user


def test_link_gives_access_only_while_consent_valid(app):
    family = make_user()
    stranger = make_user()
    client = make_client()
    link = link_family(family, client, expires_on=date.today() + timedelta(days=3))
    assert access.may_see_client(family, client.id)
    assert not access.may_see_client(stranger, client.id)
    assert not access.may_see_client(family, client.id, now=utcnow() + timedelta(days=5))
    link.consent.revoked_at = utcnow()
    assert not access.may_see_client(family, client.id)


def test_discharged_client_is_not_visible(app):
    family = make_user()
    client = make_client(counselor=make_user(roles=(Role.COUNSELOR,)))
    link_family(family, client)
    client.status = "discharged"
    assert access.visible_clients(family) == []
