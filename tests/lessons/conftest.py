"""Fixtures for lesson tests: the real curriculum, small hand-made modules, signed-in learners."""

import pytest

from portal.extensions import db
from portal.lessons.loader import load_curriculum
from portal.lessons.models import Lesson, Module, Question, Status
from portal.security import Role
from tests.factories import make_user


@pytest.fixture
def curriculum(app):
    """The whole curriculum from portal/content/, loaded as `flask curriculum load` does."""
    load_curriculum()
    return db.session.scalars(db.select(Module).order_by(Module.position)).all()


def make_module(slug, title=None, status=Status.PUBLISHED, position=1, lessons=2, questions=1):
    """A module with `lessons` published lessons, each with `questions` questions."""
    module = Module(slug=slug, title=title or slug.title(), summary="A module.", position=position, status=status.value)
    module.set_intro("Intro for **families**.")
    db.session.add(module)
    for n in range(1, lessons + 1):
        lesson = Lesson(
            module=module,
            slug=f"{slug}-lesson-{n}",
            title=f"{slug} lesson {n}",
            position=n,
            minutes=5,
            summary="Summary.",
            reflection_prompt="What did you notice?",
        )
        lesson.set_body(f"## Part {n}\n\nText about trust and {slug}.")
        for q in range(questions):
            lesson.questions.append(
                Question(
                    position=q,
                    prompt=f"Question {q + 1}?",
                    choices=["Yes", "No", "Maybe"],
                    answer=0,
                    explanation="Because yes.",
                )
            )
        db.session.add(lesson)
    db.session.commit()
    return module


@pytest.fixture
def learner(app, auth):
    """A signed-in family member taking lessons."""
    user = make_user(roles=(Role.FAMILY,), display_name="Jordan")
    auth.login(user.email)
    return user
