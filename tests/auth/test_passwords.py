"""argon2id hashing with rehash on login, and the password policy (length + zxcvbn)."""

import pytest
from argon2 import PasswordHasher

from portal.auth.passwords import hash_password, hasher, password_problems, verify_password
from portal.extensions import db
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.real_argon2


def test_hashes_are_argon2id():
    assert hash_password(PASSWORD).startswith("$argon2id$")


def test_login_rehashes_a_hash_made_with_other_parameters(client, auth):
    user = make_user(email="pat@example.org")
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
    user.password_hash = weak.hash(PASSWORD)
    db.session.commit()
    assert hasher.check_needs_rehash(user.password_hash)
    assert auth.login("pat@example.org").status_code == 302
    db.session.expire_all()
    assert not hasher.check_needs_rehash(user.password_hash)
    assert "m=8192" not in user.password_hash
    assert verify_password(user.password_hash, PASSWORD)


def test_failed_login_does_not_rehash(client, auth):
    user = make_user(email="pat@example.org")
    old = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(PASSWORD)
    user.password_hash = old
    db.session.commit()
    auth.login("pat@example.org", "not the password at all")
    db.session.expire_all()
    assert user.password_hash == old


@pytest.mark.parametrize(
    "password",
    [
        "password1234",
        "qwertyuiopasdf",
        "123456789012",
        "iloveyou1234",
        "passwordpassword",
        "aaaaaaaaaaaa",
        "letmeinletmein",
    ],
)
def test_common_and_guessable_passwords_are_refused(request_context, password):
    problems = password_problems(password)
    assert problems and "too common" in problems[0]


def test_length_limits(request_context):
    assert "at least 12" in password_problems("short words")[0]
    assert "at most 128" in password_problems("x" * 129)[0]
    assert password_problems("lantern meadow copper violin") == []
    long_but_fine = "lantern meadow copper violin " * 4
    assert password_problems(long_but_fine[:128]) == []


def test_password_built_from_the_users_own_email_is_refused(request_context):
    assert password_problems("river.song@example.org", ["river.song@example.org", "River"])


def test_no_composition_rules(request_context):
    assert password_problems("correct horse battery staple") == []  # no digits, capitals or symbols needed


def test_on_gevent_argon2_runs_off_the_event_loop(monkeypatch):
    """Under gunicorn's gevent worker a hash on the loop's thread stalled every other request of
    the process for its whole duration; it runs on a thread of its own instead, scheduled below
    the loop's thread (at normal priority its CPU still delayed the loop by ~100 ms)."""
    import os
    import threading

    from portal.auth import passwords

    threads, priorities = [], []
    loop_priority = os.getpriority(os.PRIO_PROCESS, 0)

    class Spy:
        def __init__(self, real):
            self.real = real

        def __getattr__(self, name):
            method = getattr(self.real, name)

            def called(*args):
                threads.append(threading.get_ident())
                priorities.append(os.getpriority(os.PRIO_PROCESS, 0))
                return method(*args)

            return called

    monkeypatch.setattr(passwords, "hasher", Spy(passwords.hasher))
    monkeypatch.setattr(passwords, "_on_gevent", lambda: True)

    stored = hash_password(PASSWORD)
    assert verify_password(stored, PASSWORD)
    assert not verify_password(stored, "not the password")
    assert not verify_password("not-a-hash", PASSWORD)  # the library's error crosses back as False
    assert len(threads) == 4
    assert threading.get_ident() not in threads
    assert min(priorities) >= max(loop_priority, passwords.BACKGROUND_NICENESS)
    assert os.getpriority(os.PRIO_PROCESS, 0) == loop_priority  # the caller's thread keeps its own
