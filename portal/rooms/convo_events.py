"""/chat events of the conversation (issue 12; docs/realtime.md): support reactions and the
replies and reactions of messages a client received without them (catch-up, history).

They run through `events.chat_event` like every handler: the session and the person are read
again, the room (and so a program room's consent) is checked on every event, errors are acks.
Imported by `routes_convo` (a VIEWS module), so they are in `events.HANDLERS` before
`register_realtime` installs them.
"""

from portal.rooms import access, conversation, events


@events.chat_event()
def on_react(user, payload):
    message, counts, mine = conversation.toggle_reaction(user, payload.get("message_id"), payload.get("kind"))
    conversation.announce_reactions(message, counts)
    return {"ok": True, "id": message.id, "counts": counts, "mine": mine}


@events.chat_event(touch=False, rules="room")
def on_context(user, payload, rules):
    room = access.room_by_slug(events._slug(payload), rules)
    return {"ok": True, "items": conversation.context_for_ids(user, room, payload.get("ids"), rules)}


HANDLERS = {"react": on_react, "context": on_context}
events.HANDLERS.update(HANDLERS)
