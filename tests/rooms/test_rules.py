"""access.load_rules answers with one immutable RoomRules value, and nothing is kept beyond it."""

import dataclasses

import pytest

from portal.rooms import access, moderation
from portal.rooms.errors import RoomError
from portal.rooms.models import RestrictionKind
from portal.security import Role
from tests.rooms.conftest import member, new_id
from tests.statements import counting


def test_load_rules_returns_a_frozen_value_about_one_person_and_room(app, welcome):
    alice = member()
    rules = access.load_rules(alice, "welcome")
    assert (rules.user_id, rules.slug, rules.room, rules.suspension) == (alice.id, "welcome", welcome, None)
    assert rules.accepted_guidelines is True and dict(rules.restrictions) == {}
    assert rules.about(alice, welcome) and not rules.about(member(), welcome)
    with pytest.raises(dataclasses.FrozenInstanceError):
        rules.suspension = None
    with pytest.raises(TypeError):
        rules.restrictions[RestrictionKind.MUTE] = None


def test_checks_given_the_rules_ask_the_database_nothing(app, welcome):
    alice = member()
    rules = access.load_rules(alice, "welcome", client_id=new_id())
    with counting() as statements:
        assert access.room_by_slug("welcome", rules) is welcome
        access.check_may_post(alice, welcome, rules)
    assert statements == []
    assert rules.for_send(alice, welcome) and rules.existing_id is None


def test_a_moderators_change_is_seen_by_the_next_check_in_the_same_request(app, welcome):
    """There is no per-request cache to clear any more: a check without rules reads them now."""
    alice, moderator = member(), member(roles=(Role.MODERATOR,))
    with app.test_request_context():
        before = access.check_may_post(alice, welcome)
        moderation.restrict_user(moderator, alice, welcome, RestrictionKind.MUTE, "a pause")
        with pytest.raises(RoomError) as refused:
            access.check_may_post(alice, welcome)
        assert refused.value.code == "muted"
        # the value read before the mute still says what it said: it is not updated behind your back
        access.check_may_post(alice, welcome, before)
