"""Counting the SQL statements a piece of work runs.

Query-count tests use it to prove that a page or an event costs the same number of statements
however many rows there are, and to hold each to a ceiling.
"""

from contextlib import contextmanager

import sqlalchemy as sa

from portal.extensions import db


@contextmanager
def counting(expire=False):
    """Collect the SQL text of every statement run inside the block.

    expire=True first forgets every row the test's session holds, so that nothing loaded by
    the test's own setup hides a statement the request would run in production.
    """
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    if expire:
        db.session.expire_all()
    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)


def statements_of_get(client, path, warm_up=True):
    """The statements of one GET of path (asserted 200). The warm-up request first takes the
    once-a-minute session touch and any per-process caches out of the count."""
    if warm_up:
        client.get(path)
    with counting() as statements:
        assert client.get(path).status_code == 200
    return statements
