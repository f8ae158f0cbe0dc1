"""The catalogue, module and lesson pages cost a fixed number of SQL statements, however much data."""

from contextlib import contextmanager

import sqlalchemy as sa

from portal.extensions import db
from portal.lessons import services
from tests.lessons.conftest import make_module


@contextmanager
def counting():
    statements = []

    def before(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", before)


def cost(client, path):
    client.get(path)  # warm up (session touch, caches)
    with counting() as statements:
        assert client.get(path).status_code == 200
    return len(statements)


def grow(family, start, modules, lessons):
    created = [make_module(f"m{start + n}", position=start + n, lessons=lessons, questions=2) for n in range(modules)]
    for module in created:
        for lesson in module.lessons[: lessons // 2]:
            services.complete_lesson(family, lesson)
            services.answer_question(family, lesson, lesson.questions[0].id, 0)
    return created


def test_catalogue_and_module_pages_do_not_grow_with_rows(app, family, client):
    first = grow(family, 0, modules=2, lessons=2)[0]
    small = {path: cost(client, path) for path in ("/lessons/", f"/lessons/modules/{first.slug}", "/dashboard")}
    grow(family, 10, modules=6, lessons=8)
    db.session.execute(sa.update(type(first)).where(type(first).id == first.id).values(position=0))
    db.session.commit()
    make_module("m0-extra", position=1, lessons=12)  # a bigger module to compare the module page with
    for lesson in services.module_lessons(services.find_published_module("m0-extra"))[:6]:
        services.complete_lesson(family, lesson)
    large = {path: cost(client, path) for path in ("/lessons/", "/lessons/modules/m0-extra", "/dashboard")}
    assert all(n > 0 for n in small.values())
    assert list(small.values()) == list(large.values()), (small, large)


def test_lesson_page_does_not_grow_with_questions_or_answers(app, family, client):
    small = make_module("small", lessons=2, questions=1).lessons[0]
    big = make_module("big", position=2, lessons=10, questions=4).lessons[3]
    for question in big.questions:
        services.answer_question(family, big, question.id, 1)
    services.save_reflection(family, big, "note")
    assert cost(client, f"/lessons/read/{small.slug}") == cost(client, f"/lessons/read/{big.slug}")
