"""PostgreSQL's pooled connections: handed out without a ping round trip, and never one that the
server ended while it sat in the pool (a restart must not show an error page afterwards)."""

import time

import psycopg
import pytest

from portal.extensions import db

# The server processes of the test's database but the one asking.
OTHERS = "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"


@pytest.fixture
def postgresql(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only (TEST_DATABASE_URL)")
    return db.engine


def _end_every_pooled_connection(engine):
    """What a restart does to the pool: every server process of this database ends. Returns how
    many there were, once none is left."""
    db.session.remove()  # the test's session gives its connection back to the pool
    url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as admin:
        ended = admin.execute(f"SELECT count(pg_terminate_backend(pid)) {OTHERS}")
        count = ended.fetchone()[0]
        deadline = time.monotonic() + 30
        while admin.execute(f"SELECT count(*) {OTHERS}").fetchone()[0]:
            assert time.monotonic() < deadline, "the server processes did not end"
            time.sleep(0.05)
    return count


def test_a_pooled_connection_is_handed_out_without_a_ping(postgresql, client, monkeypatch):
    def ping(*_args, **_kwargs):
        raise AssertionError("a pre-ping round trip")

    monkeypatch.setattr(type(postgresql.dialect), "do_ping", ping)
    assert client.get("/healthz").status_code == 200
    db.session.remove()
    assert client.get("/healthz").status_code == 200


def test_connections_the_server_ended_in_the_pool_are_replaced_not_an_error(postgresql, client):
    for _ in range(3):
        assert client.get("/healthz").status_code == 200
    assert _end_every_pooled_connection(postgresql) >= 1
    for _ in range(3):
        response = client.get("/healthz")
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        assert response.get_json()["database"] == "ok"
        db.session.remove()
