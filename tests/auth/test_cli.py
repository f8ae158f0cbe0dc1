"""`flask users create` makes real, verified accounts with roles."""

from portal.auth.models import User
from portal.auth.passwords import verify_password
from portal.extensions import db

STRONG = "lantern meadow copper violin"


def run(runner, *args):
    return runner.invoke(args=["users", "create", *args])


def test_creates_a_verified_account_with_roles(runner):
    result = run(
        runner,
        "--email",
        "Casey@Example.org",
        "--name",
        "Casey",
        "--role",
        "counselor",
        "--role",
        "moderator",
        "--password",
        STRONG,
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(db.select(User).filter_by(email="casey@example.org"))
    assert user.is_verified
    assert {r.value for r in user.roles} == {"counselor", "moderator"}
    assert verify_password(user.password_hash, STRONG)


def test_refuses_duplicates_weak_passwords_bad_names_and_unknown_roles(runner):
    run(runner, "--email", "casey@example.org", "--name", "Casey", "--role", "admin", "--password", STRONG)
    assert (
        "already exists"
        in run(runner, "--email", "casey@example.org", "--name", "C2", "--role", "admin", "--password", STRONG).output
    )
    assert (
        "too common"
        in run(
            runner, "--email", "b@example.org", "--name", "Bo", "--role", "admin", "--password", "password1234"
        ).output
    )
    assert (
        "email"
        in run(
            runner, "--email", "c@example.org", "--name", "c@example.org", "--role", "admin", "--password", STRONG
        ).output
    )
    assert (
        run(runner, "--email", "d@example.org", "--name", "Dee", "--role", "root", "--password", STRONG).exit_code != 0
    )
    assert (
        "Not a usable email"
        in run(runner, "--email", "not-an-email", "--name", "Dee", "--role", "admin", "--password", STRONG).output
    )
    assert db.session.scalar(db.select(db.func.count()).select_from(User)) == 1
