"""/chat events of private check-ins (docs/realtime.md): a thread page asks for the posts it
has not shown yet (after it connects, and again after every reconnect).

They run through `events.chat_event` like every handler — the session, the account and a
suspension are read again for every event, and a bad payload is an error ack — but they let
counselors in as well (`checkins.may_connect`): counselors read threads without any room.
Imported by `routes_checkins` (a VIEWS module), so they are in `events.HANDLERS` before
`register_realtime` installs them.
"""

from portal.rooms import checkins, events


@events.chat_event(touch=False, allowed=checkins.may_connect)
def on_checkin_posts(user, payload):
    checkin_id = events._int(payload, "checkin", low=1)
    after_id = events._int(payload, "after_id", required=False)
    thread = checkins.thread_for(user, checkin_id)
    posts, has_more = checkins.posts_after(thread, after_id)
    return {"ok": True, "checkin": thread.id, "posts": posts, "has_more": has_more}


HANDLERS = {"checkin_posts": on_checkin_posts}
events.HANDLERS.update(HANDLERS)
