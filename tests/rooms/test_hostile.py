"""Hostile text sent as chat messages renders harmless; crisis phrases bring support, not silence."""

from html.parser import HTMLParser

import pytest

from portal.rooms import wordlists
from portal.security import Role
from tests.rooms.conftest import ack, member, new_id, payloads

# The project's own cases, in the spirit of the public XSS corpora (tags, handlers, URL schemes,
# broken markup, encodings, Markdown links and autolinks).
HOSTILE = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//x.example/a.js></SCRIPT>",
    "<scr<script>ipt>alert(2)</scr</script>ipt>",
    '"><img src=x onerror=alert(3)>',
    "<svg/onload=alert(4)>",
    "<body onload=alert(5)>",
    "<input autofocus onfocus=alert(6)>",
    "<details open ontoggle=alert(7)>",
    '<a href="javascript:alert(8)">click</a>',
    "[click](javascript:alert(9))",
    "[click](JaVaScRiPt:alert(10))",
    "[click](  javascript:alert(11))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxMik8L3NjcmlwdD4=)",
    "[click](vbscript:msgbox(13))",
    "<javascript:alert(14)>",
    "[x](http://plain-http.example/)",
    "<iframe src=javascript:alert(15)></iframe>",
    '<div style="background:url(javascript:alert(16))">x</div>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(17)>",
    '<noscript><p title="</noscript><img src=x onerror=alert(18)>">',
    "&lt;script&gt;alert(19)&lt;/script&gt;",
    "&#60;img src=x onerror=alert(20)&#62;",
    '<a href="&#106;avascript:alert(21)">x</a>',
    "javascript&colon;alert(22)",
    "**<img src=x onerror=alert(23)>**",
    "* <svg onload=alert(24)>\n* item",
    "`<script>alert(25)</script>`",
    "<form action=javascript:alert(26)><button>go</button></form>",
    "<object data=javascript:alert(27)>",
    "<meta http-equiv=refresh content=0;url=javascript:alert(28)>",
    "<base href=javascript:alert(29)//>",
    "\"'><<svg/onload=alert(30)>",
    "<img src=`x` onerror=alert(31)>",
    "<a href='https://ok.example/' onclick='alert(32)'>ok</a>",
]

ALLOWED_TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "a", "code"}


class Elements(HTMLParser):
    """Every element and attribute a browser would build from the HTML."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.found = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))


def assert_harmless(html, only_chat_tags=True):
    for tag, attrs in Elements(html).found:
        assert tag not in {"script", "iframe", "object", "embed", "base", "meta", "form", "svg", "math", "img"}, tag
        assert not [name for name in attrs if name.startswith("on")], (tag, attrs)
        assert "style" not in attrs
        for name in ("href", "src", "action", "formaction", "data"):
            value = (attrs.get(name) or "").strip().lower()
            if value:
                assert value.startswith("https://") or (value.startswith("/") and not only_chat_tags), value
        if only_chat_tags:
            assert tag in ALLOWED_TAGS, tag


@pytest.mark.parametrize("payload", HOSTILE)
def test_hostile_messages_render_harmless(app, chat, welcome, payload):
    sender, reader = chat.connect(member()), chat.connect(member())
    ack(reader, "join", {"room": "welcome"})
    reply = ack(sender, "send", {"room": "welcome", "body": payload, "client_id": new_id()})
    assert reply["ok"] is True
    assert_harmless(reply["message"]["body_html"])
    assert_harmless(payloads(reader, "message")[0]["body_html"])
    page = sender.http.get("/rooms/welcome").get_data(as_text=True)
    section = page[page.index('id="messages"') : page.index('id="typing"')]
    assert_harmless(section.split(">", 1)[1], only_chat_tags=False)


def test_https_links_survive_with_safe_rel(app, chat, welcome):
    sock = chat.connect(member())
    html = ack(
        sock, "send", {"room": "welcome", "body": "see [help](https://findtreatment.gov)", "client_id": new_id()}
    )["message"]["body_html"]
    assert '<a href="https://findtreatment.gov" rel="nofollow noopener noreferrer">help</a>' in html


def test_hostile_display_name_is_escaped_in_presence_and_pages(app, chat, welcome):
    evil = member(display_name="<img src=x onerror=alert(1)>")
    sock = chat.connect(evil)
    reply = ack(sock, "send", {"room": "welcome", "body": "hi", "client_id": new_id()})
    assert reply["message"]["author"]["display_name"] == "<img src=x onerror=alert(1)>"  # text, for textContent
    page = sock.http.get("/rooms/welcome").get_data(as_text=True)
    assert "<img src=x onerror" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page


@pytest.mark.parametrize(
    "text",
    [
        "I want to end my life",
        "honestly I just want to die",
        "He's not breathing and his lips are turning blue",
        "I think she OD'd",
        "I'm going to hurt him",
        "I can\u2019t go on like this",
        "I have been cutting myself",
    ],
)
def test_crisis_phrases_are_recognised(text):
    assert wordlists.is_crisis(text)


@pytest.mark.parametrize(
    "text",
    [
        "This traffic is killing me",
        "I could kill for a coffee",
        "We talked about suicide prevention at group",
        "My feet hurt",
        "The dosage changed",
        "Die Hard is on tonight",
    ],
)
def test_everyday_words_are_not_crisis(text):
    assert not wordlists.is_crisis(text)


def test_crisis_message_is_held_author_gets_support_and_moderators_an_alert(app, chat, welcome):
    # Issue 12: a crisis post is held for staff (it used to be posted to everyone).
    author_user = member(established=False)  # even a premoderated newcomer is not silenced
    author, reader = chat.connect(author_user), chat.connect(member())
    mod = chat.connect(member(roles=(Role.MODERATOR,)))
    ack(reader, "join", {"room": "welcome"})
    reply = ack(author, "send", {"room": "welcome", "body": "I don't want to live anymore", "client_id": new_id()})
    assert reply["ok"] is False and reply["error"] == "held_for_review" and reply["crisis"] is True
    assert "A staff member will reach out" in reply["message"]
    support = payloads(author, "support")
    assert len(support) == 1
    numbers = {r["number"] for r in support[0]["resources"]}
    assert {"988", "911", "1-800-662-4357"} <= numbers
    reader_events = reader.get_received("/chat")
    assert [e for e in reader_events if e["name"] in ("message", "support")] == []
    alert = payloads(mod, "moderation_alert")[-1]
    assert alert["priority"] is True and alert["kind"] == "crisis"


def test_crisis_text_in_a_refused_send_still_brings_support(app, chat, welcome):
    welcome.locked = True
    from portal.extensions import db

    db.session.commit()
    author = chat.connect(member())
    reply = ack(author, "send", {"room": "welcome", "body": "I want to kill myself", "client_id": new_id()})
    assert reply["error"] == "locked"
    assert len(payloads(author, "support")) == 1
