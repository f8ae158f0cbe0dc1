"""Worksheets: structured, private forms a family member fills in and keeps (CRAFT on paper, online).

Each worksheet is data: a slug, a title, a short intro, its fields (label and help) and the lessons
it belongs to. Answers are saved per person in `worksheet_entries` (one row per person and sheet)
and only their owner ever reads them: every query here is scoped to the user passed in.
"""

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from portal.clock import utcnow
from portal.extensions import db
from portal.lessons.models import WorksheetEntry

FIELD_MAX = 4_000


@dataclass(frozen=True)
class Field:
    name: str
    label: object
    help: object = ""


@dataclass(frozen=True)
class Worksheet:
    slug: str
    title: object
    intro: object
    fields: tuple
    lessons: tuple  # lesson slugs the sheet belongs to (the first is its home lesson)


WORKSHEETS = (
    Worksheet(
        slug="functional-analysis",
        title=_l("Understanding one time of use"),
        intro=_l(
            "Pick one recent time your loved one used. Write down what came before, what the use "
            "seemed to give them, and what it cost them. Patterns help you plan instead of react."
        ),
        fields=(
            Field("triggers", _l("What came before?"), _l("Who was there, where, what time, what feelings.")),
            Field("gains", _l("What did the use seem to give them?"), _l("For example relief, sleep, fun, courage.")),
            Field("costs", _l("What did it cost them later?"), _l("Health, money, work, people, how they felt.")),
            Field("my_part", _l("What could I do differently next time?"), _l("One small thing you control.")),
        ),
        lessons=("understanding-your-loved-ones-use",),
    ),
    Worksheet(
        slug="rewards-list",
        title=_l("My rewards list"),
        intro=_l(
            "Small, real things you can offer when your loved one is sober or keeps a plan. "
            "They work best when they are quick, free or cheap, and something they enjoy."
        ),
        fields=(
            Field("rewards", _l("Rewards I can give"), _l("One per line: a favourite meal, a walk, time together.")),
            Field("when", _l("When I will give them"), _l("What sober moment or kept plan each reward follows.")),
            Field("not_rewards", _l("Things I will stop doing during use"), _l("What you pause while they use.")),
        ),
        lessons=("rewarding-non-use",),
    ),
    Worksheet(
        slug="trigger-plan",
        title=_l("My plan for high-risk times"),
        intro=_l("Name the times and places that are hard, and what you will do when they come."),
        fields=(
            Field("risky_times", _l("Hard times and places"), _l("Paydays, holidays, certain friends, late nights.")),
            Field("signs", _l("Early signs I notice"), _l("Changes in sleep, mood or plans.")),
            Field("my_steps", _l("What I will do"), _l("Calm steps you can take. Who you can call.")),
            Field("safety", _l("If there is danger"), _l("Call 911 for an emergency and 988 for a crisis.")),
        ),
        lessons=("warning-signs-and-triggers", "planning-for-high-risk-times"),
    ),
    Worksheet(
        slug="boundary-plan",
        title=_l("My boundary plan"),
        intro=_l("A boundary is about what you will do, not what the other person must do."),
        fields=(
            Field("protect", _l("What I want to protect"), _l("Your safety, money, sleep, children, home.")),
            Field("boundary", _l("My boundary, in one sentence"), _l("Start with “I will…” or “I will not…”.")),
            Field("say_it", _l("How I will say it, calmly"), _l("Short and kind, at a calm time.")),
            Field("follow_through", _l("What I will do if it is crossed"), _l("Something you can really do.")),
            Field("support", _l("Who can back me up"), _l("A friend, a group, your counselor.")),
        ),
        lessons=("what-a-boundary-is", "setting-and-keeping-boundaries"),
    ),
    Worksheet(
        slug="self-care-plan",
        title=_l("My self-care plan"),
        intro=_l("You matter too. Plan a few small things that help you rest and feel like yourself."),
        fields=(
            Field("daily", _l("Something small for every day"), _l("Ten minutes outside, a call, a cup of tea.")),
            Field("weekly", _l("Something for each week"), _l("A group, a hobby, time with a friend.")),
            Field("people", _l("People I can talk to"), _l("Names and how to reach them.")),
            Field("warning", _l("Signs I need more help"), _l("And who you will tell. In a crisis, call 988.")),
        ),
        lessons=("realistic-self-care",),
    ),
    Worksheet(
        slug="trust-plan",
        title=_l("My plan for handing back trust"),
        intro=_l("Trust comes back in small steps. List privileges and what shows it is time for each."),
        fields=(
            Field("privileges", _l("Privileges, smallest first"), _l("The car, money, keys, time alone.")),
            Field("signs", _l("What shows it is time for the next step"), _l("Actions you can see over weeks.")),
            Field("check_in", _l("How we will check in"), _l("A short, kind talk each day or week.")),
            Field("setback", _l("What happens after a setback"), _l("Step back one level, not to the start.")),
        ),
        lessons=("handing-back-privileges", "trust-through-actions"),
    ),
)

BY_SLUG = {sheet.slug: sheet for sheet in WORKSHEETS}


def find(slug):
    return BY_SLUG.get(slug)


def for_lesson(lesson_slug):
    """The worksheets that belong to this lesson, in catalogue order."""
    return [sheet for sheet in WORKSHEETS if lesson_slug in sheet.lessons]


def entry_of(user, sheet):
    return db.session.scalar(sa.select(WorksheetEntry).filter_by(user_id=user.id, slug=sheet.slug))


def entries_of(user):
    """{slug: entry} of this user's saved worksheets (only theirs)."""
    rows = db.session.scalars(sa.select(WorksheetEntry).filter_by(user_id=user.id))
    return {row.slug: row for row in rows if row.slug in BY_SLUG}


def answers_of(entry, sheet):
    """The saved answers as text for the sheet's current fields (unknown keys are ignored)."""
    saved = entry.answers if entry is not None and isinstance(entry.answers, dict) else {}
    return {field.name: str(saved.get(field.name) or "") for field in sheet.fields}


def save(user, sheet, answers):
    """Store the answers (plain text, at most FIELD_MAX characters each) for this user and sheet."""
    clean = {}
    for field in sheet.fields:
        text = str(answers.get(field.name) or "").replace("\r\n", "\n").strip()
        if len(text) > FIELD_MAX:
            raise ValueError(field.name)
        clean[field.name] = text
    entry = entry_of(user, sheet)
    if entry is None:
        entry = WorksheetEntry(user_id=user.id, slug=sheet.slug)
        db.session.add(entry)
    entry.answers = clean
    entry.updated_at = utcnow()
    db.session.commit()
    return entry


def filled(user):
    """[(sheet, answers, entry)] of the sheets this user has saved with any text, in catalogue order."""
    entries = entries_of(user)
    result = []
    for sheet in WORKSHEETS:
        entry = entries.get(sheet.slug)
        answers = answers_of(entry, sheet)
        if entry is not None and any(answers.values()):
            result.append((sheet, answers, entry))
    return result
