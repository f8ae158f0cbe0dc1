"""The notice centre: notices from calendar, consent and moderation; the bell and the list; who may
see what; preferences, emails with a one-click preference link; the digest; reminder lead times."""

import re
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from portal.calendar import roster
from portal.calendar.reminders import send_due
from portal.calendar.schedule import occurrences_of
from portal.calendar.services import cancel_one, change_one
from portal.care.access import consent_today
from portal.care.models import Consent
from portal.care.services import REVOCATION_METHODS, revoke_consent
from portal.clock import utcnow
from portal.extensions import db
from portal.notifications import services
from portal.notifications.models import Notification, NotificationPreference
from portal.rooms import moderation
from tests.factories import make_user

NEUTRAL = ("addiction", "IOP", "treatment", "Sam", "Rivera", "Evening")


def _centre(user):
    return list(db.session.scalars(sa.select(Notification).filter_by(user_id=user.id).order_by(Notification.id)))


def _move(counselor, series, index=1, hours=1):
    occ = occurrences_of(series)[index]
    new_local = occ.start.astimezone(series.zone) + timedelta(hours=hours)
    change_one(counselor, series, occ.original_start, new_start_local=new_local)
    return occ


def _mails_to(outbox, user):
    return [m for m in outbox() if m["To"] == user.email]


def test_a_moved_session_gives_one_notice_with_the_new_time_and_one_neutral_email(
    counselor, linked_family, series, outbox
):
    occ = _move(counselor, series)
    notes = _centre(linked_family)
    assert [n.kind for n in notes] == ["session_changed"]
    assert notes[0].data["changes"] == ["time"]
    assert notes[0].url == f"/calendar/session/{series.id}/{occ.key}"
    (message,) = _mails_to(outbox, linked_family)
    assert message["Subject"] == "Family session: a change"
    body = message.get_content()
    # 18:00 New York moved to 19:00 = 4:00 PM in Los Angeles, the reader's zone
    assert "has moved to" in body and "4:00" in body and "PM" in body and "America/Los Angeles" in body
    assert "It was planned for" in body and "3:00" in body
    assert f"/calendar/session/{series.id}/{occ.key}" in body
    assert (
        message["List-Unsubscribe"].startswith("<http") and "/notifications/unsubscribe/" in message["List-Unsubscribe"]
    )
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    for word in NEUTRAL:
        assert word.lower() not in (message["Subject"] + body).lower()


def test_a_changed_link_and_a_cancellation_say_what_changed(counselor, linked_family, series, outbox):
    occ = occurrences_of(series)[2]
    change_one(counselor, series, occ.original_start, join_url="https://video.example.org/other")
    cancel_one(counselor, series, occurrences_of(series)[3].original_start, "Holiday")
    changed, cancelled = _centre(linked_family)
    assert changed.data["changes"] == ["link"] and cancelled.kind == "session_cancelled"
    bodies = [m.get_content() for m in _mails_to(outbox, linked_family)]
    assert "The online meeting link has changed." in bodies[0]
    assert "video.example.org" not in bodies[0]  # the link itself only on the session page
    assert "is cancelled" in bodies[1]


def test_portal_only_sends_no_email_and_digest_sends_one_for_several(counselor, linked_family, series, outbox):
    services.save_preferences(linked_family, {"sessions": "portal"}, "1d")
    _move(counselor, series, 1)
    assert len(_centre(linked_family)) == 1 and _mails_to(outbox, linked_family) == []
    services.save_preferences(linked_family, {"sessions": "digest"}, "1d")
    _move(counselor, series, 2)
    cancel_one(counselor, series, occurrences_of(series)[3].original_start, "Holiday")
    assert _mails_to(outbox, linked_family) == []
    assert services.send_digests() == 1
    assert services.send_digests() == 0  # idempotent
    (digest,) = _mails_to(outbox, linked_family)
    assert digest["Subject"] == "Family Bridge: 2 new notices"
    body = digest.get_content()
    assert "has moved to" in body and "is cancelled" in body
    assert "/notifications/unsubscribe/" in digest["List-Unsubscribe"]
    for word in NEUTRAL:
        assert word.lower() not in body.lower()


def test_digest_command_for_cron(runner, counselor, linked_family, series, outbox):
    services.save_preferences(linked_family, {"sessions": "digest"}, "1d")
    _move(counselor, series, 1)
    _move(counselor, series, 2)
    result = runner.invoke(args=["notifications", "digest"])
    assert result.exit_code == 0, result.output
    assert "1 digest email(s) queued" in result.output
    assert "0 digest email(s)" in runner.invoke(args=["notifications", "digest"]).output
    assert len(_mails_to(outbox, linked_family)) == 1


def test_the_bell_counts_and_the_page_lists_newest_first_and_marks_read(client, auth, counselor, linked_family, series):
    _move(counselor, series, 1)
    cancel_one(counselor, series, occurrences_of(series)[3].original_start, "Holiday")
    auth.login(linked_family.email)
    home = client.get("/dashboard").get_data(as_text=True)
    assert 'aria-label="Notifications, 2 unread"' in home
    page = client.get("/notifications/").get_data(as_text=True)
    assert page.index("is cancelled") < page.index("has moved to")  # newest first
    assert page.count('class="notice-tag"') == 2
    # shown is read: the bell on this very page already counts none (a full page load is right)
    assert 'aria-label="Notifications, none unread"' in page
    assert all(n.read_at is not None for n in _centre(linked_family))
    again = client.get("/notifications/").get_data(as_text=True)
    assert 'class="notice-tag"' not in again and 'aria-label="Notifications, none unread"' in again


def test_someone_elses_notice_is_not_found_and_state_changes_need_post(
    client, auth, counselor, linked_family, stranger, series
):
    _move(counselor, series, 1)
    (note,) = _centre(linked_family)
    auth.login(stranger.email)
    assert client.get(f"/notifications/{note.id}").status_code == 404
    assert auth.post(f"/notifications/{note.id}/read").status_code == 404
    assert client.get(f"/notifications/{note.id}/read").status_code == 405
    assert client.get("/notifications/read").status_code == 405
    assert client.get("/notifications/unsubscribe/x/one-click").status_code == 405
    assert client.get(f"/notifications/{2**40}").status_code == 404
    assert db.session.get(Notification, note.id).read_at is None
    auth.logout()
    assert client.get("/notifications/").status_code in (302, 401)
    auth.login(linked_family.email)
    assert client.get(f"/notifications/{note.id}").status_code == 200
    assert auth.post(f"/notifications/{note.id}/read").status_code == 302


def test_after_consent_ends_session_notices_are_hidden_and_a_neutral_notice_says_so(
    client, auth, counselor, sam, linked_family, series, outbox
):
    _move(counselor, series, 1)
    (note,) = _centre(linked_family)
    consent = db.session.scalar(sa.select(Consent).filter_by(client_id=sam.id))
    revoke_consent(
        consent, actor=counselor, requested_by="Client", requested_on=consent_today(), method=REVOCATION_METHODS[0]
    )
    kinds = [n.kind for n in _centre(linked_family)]
    assert kinds == ["session_changed", "access_ended"]
    db.session.refresh(linked_family)
    assert linked_family.notifications_unread == 1  # the bell counts only what they may still see
    auth.login(linked_family.email)
    page = client.get("/notifications/").get_data(as_text=True)
    assert "has moved to" not in page and "Your access to some information in the portal has ended." in page
    assert "Sam" not in page and "revoked" not in page.lower()
    assert client.get(f"/notifications/{note.id}").status_code == 404
    assert services.unread_count(linked_family) == 0  # read when the page was seen; the hidden one not counted
    mail = _mails_to(outbox, linked_family)[-1]
    assert "Sam" not in mail.get_content() and "Evening" not in mail.get_content()


def test_moderator_decisions_reach_the_person_without_naming_the_room_by_email(app, linked_family, outbox):
    moderator = make_user(roles=("moderator",))
    with app.test_request_context():
        moderation.warn_user(moderator, linked_family, "Please keep <b>names</b> out of posts")
    (note,) = _centre(linked_family)
    assert note.kind == "moderation_warning"
    message = _mails_to(outbox, linked_family)[-1]
    assert "names" not in message.get_content()  # the note itself is in the portal


def test_hostile_text_is_escaped_on_the_page(client, auth, linked_family):
    services.notify(linked_family, "moderation_warning", reason="<script>alert(1)</script>' OR 1=1--")
    db.session.commit()
    auth.login(linked_family.email)
    page = client.get("/notifications/").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_notify_refuses_unknown_kinds_and_trims_long_values(linked_family):
    with pytest.raises(ValueError):
        services.notify(linked_family, "nonsense")
    row = services.notify(linked_family, "moderation_warning", reason="x" * 10_000, when=datetime(2026, 1, 1))
    assert len(row.data["reason"]) == services.MAX_DATA_TEXT and row.data["when"].startswith("2026-01-01")


def test_preferences_form_saves_and_refuses_bad_choices(client, auth, linked_family):
    auth.login(linked_family.email)
    page = client.get("/notifications/preferences").get_data(as_text=True)
    assert "Daily digest email" in page and "1 day before" in page
    fields = {
        "topic_sessions": "digest",
        "topic_waitlist": "email",
        "topic_access": "email",
        "topic_moderation": "portal",
        "topic_lessons": "email",
        "topic_mentions": "portal",
        "reminder_lead": "both",
    }
    response = auth.post("/notifications/preferences", fields, page="/notifications/preferences")
    assert response.status_code == 302
    assert services.preferences(linked_family)["sessions"] == "digest"
    assert services.reminder_lead(linked_family) == "both"
    for bad in ("<script>", "' OR 1=1--", "x" * 5000, "\u202e"):
        response = auth.post(
            "/notifications/preferences",
            {**fields, "topic_sessions": bad, "reminder_lead": bad},
            page="/notifications/preferences",
        )
        assert response.status_code == 422
    assert services.preferences(linked_family)["sessions"] == "digest"


def _token_from(message):
    return re.search(r"/notifications/unsubscribe/([A-Za-z0-9_.\-]+)", message["List-Unsubscribe"]).group(1)


def test_the_preference_link_works_without_signing_in(client, counselor, linked_family, series, outbox):
    _move(counselor, series, 1)
    token = _token_from(_mails_to(outbox, linked_family)[0])
    page = client.get(f"/notifications/unsubscribe/{token}")
    assert page.status_code == 200 and "Turn off these emails" in page.get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    done = client.post(f"/notifications/unsubscribe/{token}", data={"csrf_token": csrf})
    assert done.status_code == 200 and "no longer receive" in done.get_data(as_text=True)
    assert services.preferences(linked_family)["sessions"] == "portal"
    _move(counselor, series, 2)
    assert len(_mails_to(outbox, linked_family)) == 1  # in the portal only now
    assert len(_centre(linked_family)) == 2


def test_one_click_post_from_the_mail_program(client, counselor, linked_family, series, outbox):
    _move(counselor, series, 1)
    token = _token_from(_mails_to(outbox, linked_family)[0])
    response = client.post(f"/notifications/unsubscribe/{token}/one-click", data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 204
    assert services.preferences(linked_family)["sessions"] == "portal"


@pytest.mark.parametrize("token", ["x", "a" * 400, "<script>", "' OR 1=1--", "eyJ1IjoxLCJzIjoic2Vzc2lvbnMifQ"])
def test_forged_or_malformed_preference_links_change_nothing(client, linked_family, token):
    assert client.get(f"/notifications/unsubscribe/{token}").status_code == 404
    assert client.post(f"/notifications/unsubscribe/{token}/one-click").status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(NotificationPreference)) == 0


def test_a_token_for_another_purpose_is_refused(app, linked_family):
    from itsdangerous import URLSafeSerializer

    other = URLSafeSerializer(app.config["SECRET_KEY"], salt="something-else").dumps(
        {"u": linked_family.id, "s": "sessions"}
    )
    assert services.read_preference_token(other) is None
    scoped = URLSafeSerializer(app.config["SECRET_KEY"], salt=services.TOKEN_SALT).dumps(
        {"u": linked_family.id, "s": "x"}
    )
    assert services.read_preference_token(scoped) is None


@pytest.mark.parametrize(
    ("lead", "at_23h", "at_1h"),
    [("1d", 1, 0), ("2h", 0, 1), ("both", 1, 1), ("none", 0, 0)],
)
def test_reminders_follow_the_chosen_lead_time(app, counselor, linked_family, series, lead, at_23h, at_1h):
    services.save_preferences(linked_family, {}, lead)
    occ = occurrences_of(series)[0]
    roster.respond(linked_family, occ, "going")
    assert send_due(now=occ.start - timedelta(hours=23)) == at_23h
    assert send_due(now=occ.start - timedelta(hours=1)) == at_1h


def test_reminder_email_links_to_its_preference(app, counselor, linked_family, series, outbox):
    occ = occurrences_of(series)[0]
    roster.respond(linked_family, occ, "going")
    send_due(now=occ.start - timedelta(hours=23))
    reminder = [m for m in _mails_to(outbox, linked_family) if m["Subject"].startswith("Reminder")][0]
    token = _token_from(reminder)
    assert "/notifications/unsubscribe/" in reminder.get_content()
    services.turn_off(linked_family, services.read_preference_token(token)[1])
    assert services.reminder_lead(linked_family) == "none"


def test_waitlist_promotion_is_a_notice(counselor, sam, linked_family):
    from tests.calendar.conftest import make_series
    from tests.factories import link_family

    series = make_series(counselor, client=sam, capacity=1, notify=False)
    other = make_user()
    link_family(other, sam, witness=counselor)
    occ = occurrences_of(series)[0]
    roster.respond(other, occ, "going")
    roster.respond(linked_family, occ, "going")
    roster.respond(other, occ, "not_going")
    assert [n.kind for n in _centre(linked_family)] == ["waitlist_promoted"]


def test_a_stored_notice_is_announced_after_commit_for_the_socket(linked_family):
    seen = []

    def listener(sender, **kwargs):
        seen.append(kwargs)

    with services.notification_created.connected_to(listener):
        services.notify(linked_family, "moderation_warning", reason="hello")
        assert seen == []  # not before the commit
        db.session.commit()
    (event,) = seen
    assert event["user_id"] == linked_family.id
    assert event["payload"]["unread"] == 1 and event["payload"]["label"] == "Notifications, 1 unread"
    assert event["payload"]["text"] == "A note from the moderators: hello"


def test_the_socket_receives_the_notification_event(chat, linked_family):
    sock = chat.connect(linked_family)
    sock.get_received("/chat")
    services.notify(linked_family, "moderation_warning", reason="hello")
    db.session.commit()
    events = [e for e in sock.get_received("/chat") if e["name"] == "notification"]
    assert [e["args"][0]["unread"] for e in events] == [1]


def test_rolled_back_notices_are_not_announced(linked_family):
    seen = []
    with services.notification_created.connected_to(lambda sender, **kw: seen.append(kw)):
        services.notify(linked_family, "moderation_warning", reason="hello")
        db.session.rollback()
        db.session.commit()
    assert seen == []
    assert utcnow()  # the clock is not asserted on


def test_a_spanish_reader_gets_the_notice_and_email_in_spanish(counselor, linked_family, series, outbox):
    linked_family.locale = "es"
    db.session.commit()
    _move(counselor, series)
    (message,) = _mails_to(outbox, linked_family)
    body = message.get_content()
    assert message["Subject"] != "Family session: a change" and "Hello" not in body
    assert " de 20" in body  # Babel's Spanish date ("martes, 8 de diciembre de 2026")
