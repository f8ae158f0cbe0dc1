"""Real gunicorn processes (production config, gevent) deliver the queue in the background.

Two processes share one PostgreSQL database and one SMTP server on loopback: every reset
asked of either process is delivered within seconds, by one of them, exactly once."""

import re
import time

import pytest

from bench import harness
from tests.support.smtp import LoopbackSMTP

STRONG = "lantern meadow copper violin"
RESETS = 10


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.xdist_group("servers")
@pytest.mark.skipif(not harness.postgres_available(), reason="needs the PostgreSQL server")
def test_two_server_processes_deliver_each_queued_message_once(tmp_path):
    smtp = LoopbackSMTP().start()
    try:
        with harness.postgres_database("fb_mail") as url:
            env = harness.server_env(
                url,
                instance=tmp_path / "instance",
                MAIL_SERVER="127.0.0.1",
                MAIL_PORT=smtp.port,
                MAIL_QUEUE_POLL_SECONDS="0.5",
                RATELIMIT_ENABLED="0",
            )
            harness.prepare_database(env, seed_demo=False)
            create = ["users", "create", "--email", "casey@example.org", "--name", "Casey", "--role", "family"]
            harness.run([harness.FLASK, "--app", "wsgi", *create, "--password", STRONG], env)
            servers = [harness.Server(env, name=f"p{n}", log_dir=tmp_path) for n in range(2)]
            try:
                for server in servers:
                    server.start()
                _ask_for_resets(servers)
                started = time.monotonic()
                while len(smtp.messages) < RESETS and time.monotonic() - started < 30:
                    time.sleep(0.2)
                waited = time.monotonic() - started
                time.sleep(2)  # a double send would show up now
                assert len(smtp.messages) == RESETS, [s.log() for s in servers]
                assert waited < 15
                links = {re.search(r"/auth/reset/(\S+)", m.get_content()).group(1) for m in smtp.messages}
                assert len(links) == RESETS  # ten different reset links, none sent twice
                health = harness.browser_session().get(f"{servers[1].url}/healthz", timeout=10).json()
                assert health == {"status": "ok", "database": "ok", "mail_queue_oldest_seconds": 0}
            finally:
                for server in servers:
                    server.stop()
    finally:
        smtp.stop()


def _ask_for_resets(servers):
    """RESETS reset requests, alternating between the processes; each page answers at once."""
    sessions = [harness.browser_session() for _ in servers]
    tokens = [harness.csrf_token(s, f"{server.url}/auth/reset") for s, server in zip(sessions, servers, strict=True)]
    for n in range(RESETS):
        k = n % len(servers)
        response = sessions[k].post(
            f"{servers[k].url}/auth/reset",
            data={"email": "casey@example.org", "csrf_token": tokens[k]},
            timeout=30,
        )
        assert response.status_code == 200
