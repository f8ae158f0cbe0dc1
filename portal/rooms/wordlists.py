"""Text matching for the crisis phrase list and moderators' watched words.

The crisis list is curated phrases, never single words: "kill" alone is everyday speech
("this traffic is killing me"); "kill myself" is a person who needs help now.
"""

import re
import unicodedata

from flask_babel import gettext as _

CRISIS_PHRASES = (
    # self-harm and suicide
    "kill myself",
    "killing myself",
    "end my life",
    "ending my life",
    "end it all",
    "take my own life",
    "want to die",
    "wanna die",
    "better off dead",
    "better off without me",
    "no reason to live",
    "don't want to be alive",
    "dont want to be alive",
    "don't want to live",
    "dont want to live",
    "hurt myself",
    "hurting myself",
    "cut myself",
    "cutting myself",
    "feel suicidal",
    "feeling suicidal",
    "i'm suicidal",
    "im suicidal",
    "thinking about suicide",
    "thoughts of suicide",
    "commit suicide",
    "not be here tomorrow",
    "can't go on",
    "cant go on",
    "goodbye forever",
    # overdose
    "overdosed",
    "overdosing",
    "took too many pills",
    "taking all my pills",
    "take all my pills",
    "he is not breathing",
    "she is not breathing",
    "he's not breathing",
    "she's not breathing",
    "not breathing",
    "turning blue",
    "won't wake up",
    "wont wake up",
    "he od'd",
    "she od'd",
    # violence
    "going to hurt him",
    "going to hurt her",
    "going to hurt them",
    "going to kill him",
    "going to kill her",
    "going to kill them",
    "gonna kill him",
    "gonna kill her",
    "threatened to kill",
    "he hit me",
    "she hit me",
    "he's hitting me",
    "afraid he will kill",
    "afraid she will kill",
    "has a gun",
    "got a gun",
    "hurt the kids",
)


def support_resources():
    """The crisis resources sent to an author (the `support` event), in the current language,
    with the Spanish options of the same services (988 press 2 or text AYUDA; SAMHSA speaks both)."""
    return {
        "resources": [
            {"name": _("Emergency services"), "number": "911", "href": "tel:911"},
            {"name": _("988 Suicide & Crisis Lifeline (call or text)"), "number": "988", "href": "tel:988"},
            {
                "name": _("988 in Spanish: call 988 and press 2, or text AYUDA to 988"),
                "number": "988",
                "href": "tel:988",
            },
            {
                "name": _("SAMHSA National Helpline (free, confidential, 24/7, in English and Spanish)"),
                "number": "1-800-662-4357",
                "href": "tel:18006624357",
            },
        ],
    }


_SPACES = re.compile(r"\s+")
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})
_NOT_WORD = re.compile(r"[^\w']+")


def normalize(text):
    """Lower-case, compatibility-fold, straighten quotes and reduce punctuation to single spaces."""
    text = unicodedata.normalize("NFKC", text or "").translate(_QUOTES).casefold()
    return " " + _SPACES.sub(" ", _NOT_WORD.sub(" ", text)).strip() + " "


def _contains(normalized_text, phrase):
    needle = normalize(phrase)
    return needle.strip() != "" and needle in normalized_text


def is_crisis(text):
    """True when the text contains one of the curated crisis phrases (whole words only)."""
    normalized = normalize(text)
    return any(_contains(normalized, phrase) for phrase in CRISIS_PHRASES)


def watched_matches(text, watched_words):
    """The watched words (rows with .phrase/.action) found in text, whole words only."""
    normalized = normalize(text)
    return [word for word in watched_words if _contains(normalized, word.phrase)]
