"""The one place where user Markdown becomes HTML: markdown-it renders, bleach cleans.

Raw HTML in the source is never trusted: markdown-it escapes it, and bleach then removes
anything outside the allow-list (so even an author cannot inject script or styles).
"""

from functools import lru_cache

import bleach
from bleach.linkifier import Linker
from markdown_it import MarkdownIt
from markupsafe import Markup

RICH_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "b",
    "i",
    "ul",
    "ol",
    "li",
    "blockquote",
    "code",
    "pre",
    "h2",
    "h3",
    "h4",
    "hr",
    "a",
}
CHAT_TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "a"}


def _set_link_attributes(attrs, new=False):
    href = attrs.get((None, "href"), "")
    if not href.startswith("https://"):
        return None  # drop the link, keep its text
    attrs[(None, "rel")] = "nofollow noopener noreferrer"
    return attrs


_rich_md = MarkdownIt("commonmark", {"html": False, "linkify": False}).disable("image")
_chat_md = MarkdownIt("zero", {"html": False}).enable(["emphasis", "list", "link", "newline", "escape", "backticks"])

_rich_cleaner = bleach.Cleaner(
    tags=RICH_TAGS,
    attributes={"a": ["href", "rel"]},
    protocols=["https"],
    strip=True,
    filters=[],
)
_chat_cleaner = bleach.Cleaner(
    tags=CHAT_TAGS | {"code"},
    attributes={"a": ["href", "rel"]},
    protocols=["https"],
    strip=True,
)
_linker = Linker(callbacks=[_set_link_attributes], skip_tags={"pre", "code"})


def _finish(html, cleaner):
    cleaned = cleaner.clean(html)
    return Markup(_linker.linkify(cleaned))  # noqa: S704 — bleach has just cleaned it


# The same text always gives the same HTML, and long-form text is rendered again and again: every
# lesson body, question and translation on each `flask curriculum load` (over a hundred bodies,
# about five seconds of html5lib), each preview while an author types. A bounded cache of the
# results keeps that to once per process; chat messages are each rendered once and are not cached.
RENDER_CACHE_SIZE = 2048


@lru_cache(maxsize=RENDER_CACHE_SIZE)
def markdown_to_html(text):
    """Lesson, description and other long-form Markdown → safe HTML."""
    return _finish(_rich_md.render(text or ""), _rich_cleaner)


def chat_to_html(text):
    """The chat subset (bold, italic, https links, lists) → safe HTML."""
    return _finish(_chat_md.render(text or ""), _chat_cleaner)


@lru_cache(maxsize=RENDER_CACHE_SIZE)
def plain_text(text, max_length=None):
    """User text with every tag removed, for places that show text only."""
    cleaned = bleach.clean(text or "", tags=set(), strip=True)
    return cleaned[:max_length] if max_length else cleaned
