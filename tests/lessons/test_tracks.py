"""Tracks by family role: the tracks file, choosing a role (sign-up, account, Learn page), the
recommended path on the Learn page and the page of each track."""

import shutil

import pytest

from portal.audit import AuditEvent
from portal.auth.family_roles import FAMILY_ROLES
from portal.auth.models import User
from portal.extensions import db
from portal.lessons import tracks
from portal.lessons.content import CONTENT_DIR, ContentError, read_curriculum
from portal.lessons.loader import load_curriculum
from portal.lessons.models import Lesson, Module, Status
from portal.lessons.services import complete_lesson
from portal.security import Role
from tests.factories import make_user

NEW_PASSWORD = "lantern meadow copper violin"


def slugs_by_module():
    return {lesson.slug: module.slug for module in read_curriculum() for lesson in module.lessons}


def actions():
    return [e.action for e in db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.id))]


# ---- the tracks file ----


def test_every_role_has_a_track_of_10_to_16_known_lessons():
    found = tracks.read_tracks()
    known = slugs_by_module()
    assert [t.role for t in found] == list(FAMILY_ROLES)
    for track in found:
        assert 10 <= len(track.lessons) <= 16, track.role
        assert set(track.lessons) <= set(known)
        assert len(track.intro.split()) >= 40, track.role  # a real paragraph, not a stub


def test_tracks_together_draw_on_all_13_modules():
    known = slugs_by_module()
    used = {known[slug] for track in tracks.read_tracks() for slug in track.lessons}
    assert len(used) == 13 and used == set(known.values())


def test_each_track_carries_what_its_role_needs():
    by_role = {t.role: t for t in tracks.read_tracks()}
    teen = by_role["parent_teen"]
    assert {"privacy-and-consent", "talking-with-children", "siblings-grandparents-extended-family"} <= set(
        teen.lessons
    )
    assert "42 CFR Part 2" in teen.intro and "written consent" in teen.intro and "state" in teen.intro
    assert "counselor" in teen.intro
    assert {"handing-back-privileges", "openness-and-daily-check-in", "money-repair-and-lies"} <= set(
        by_role["partner"].lessons
    )
    assert {"realistic-self-care", "grief-and-loss", "setting-and-keeping-boundaries"} <= set(
        by_role["adult_child"].lessons
    )


def _copy_content(tmp_path):
    root = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, root)
    return root


def test_an_unknown_slug_in_a_track_fails_validation_and_stops_the_load(app, tmp_path):
    root = _copy_content(tmp_path)
    path = root / "tracks.yaml"
    path.write_text(path.read_text().replace("- privacy-and-consent", "- no-such-lesson", 1))
    with pytest.raises(ContentError, match="no-such-lesson"):
        tracks.read_tracks(root)
    with pytest.raises(ContentError, match="unknown lessons"):
        load_curriculum(root)
    assert db.session.scalar(db.select(db.func.count(Lesson.id))) == 0  # nothing was loaded


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("role: sibling", "role: cousin", "unknown role"),
        ("role: sibling", "role: partner", "exactly one track"),
        ("      - what-comes-after-iop\n", "      - what-comes-after-iop\n      - what-an-iop-is\n", "twice"),
    ],
)
def test_tracks_file_rules(tmp_path, old, new, message):
    root = _copy_content(tmp_path)
    path = root / "tracks.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(ContentError, match=message):
        tracks.read_tracks(root)


def test_a_track_needs_at_least_10_lessons(tmp_path):
    root = _copy_content(tmp_path)
    path = root / "tracks.yaml"
    text = path.read_text()
    start = text.index("  - role: sibling")
    end = text.index("  - role: other")
    short = "  - role: sibling\n    title: Short\n    intro: Too short.\n    lessons:\n      - what-an-iop-is\n"
    path.write_text(text[:start] + short + text[end:])
    with pytest.raises(ContentError, match="has 1 lessons"):
        tracks.read_tracks(root)


def test_stats_prints_tracks_and_lessons_per_track(runner):
    result = runner.invoke(args=["curriculum", "stats"])
    assert result.exit_code == 0, result.output
    assert "tracks: 6" in result.output
    assert "track parent_teen: 16 lessons" in result.output
    assert "track sibling: 11 lessons" in result.output


# ---- choosing a role ----


def signup(auth, **extra):
    data = {
        "email": "new@example.org",
        "display_name": "River",
        "timezone": "America/Chicago",
        "password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD,
    } | extra
    return auth.post("/auth/signup", data, page="/auth/signup")


def new_user():
    return db.session.scalar(db.select(User).filter_by(email="new@example.org"))


def test_signup_offers_an_optional_family_role(client, auth):
    page = client.get("/auth/signup").get_data(as_text=True)
    assert 'name="family_role"' in page and "Parent of a teenager" in page
    assert signup(auth, family_role="sibling").status_code == 200
    assert new_user().family_role == "sibling"


def test_signup_without_a_role_leaves_it_unchosen(client, auth):
    assert signup(auth, family_role="").status_code == 200
    assert new_user().family_role is None


def test_signup_with_an_unknown_role_is_422_with_a_field_error(client, auth):
    response = signup(auth, family_role="landlord")
    assert response.status_code == 422
    assert "Choose a family role from the list." in response.get_data(as_text=True)
    assert new_user() is None


def test_account_page_changes_the_role_and_audits_it(app, client, auth, learner):
    data = {"display_name": "Jordan", "timezone": "America/New_York", "family_role": "partner"}
    assert auth.post("/auth/account", data, page="/auth/account").status_code == 302
    db.session.expire_all()
    assert db.session.get(User, learner.id).family_role == "partner"
    assert "user.family_role_changed" in actions()
    page = client.get("/auth/account").get_data(as_text=True)
    assert '<option selected value="partner">' in page
    # An unknown value: 422, the field error, nothing changed.
    response = auth.post("/auth/account", data | {"family_role": "boss"}, page="/auth/account")
    assert response.status_code == 422
    assert "Choose a family role from the list." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, learner.id).family_role == "partner"
    # Clearing it is allowed.
    assert auth.post("/auth/account", data | {"family_role": ""}, page="/auth/account").status_code == 302
    db.session.expire_all()
    assert db.session.get(User, learner.id).family_role is None


def test_staff_account_page_has_no_family_role(app, client, auth):
    staff = make_user(roles=(Role.COUNSELOR,))
    auth.login(staff.email)
    assert 'name="family_role"' not in client.get("/auth/account").get_data(as_text=True)


def test_learn_page_prompts_for_a_role_and_saves_it(app, client, auth, curriculum, learner):
    page = client.get("/lessons/").get_data(as_text=True)
    assert "Get a recommended path" in page and 'action="/lessons/role"' in page
    response = auth.post("/lessons/role", {"family_role": "parent_teen"}, page="/lessons/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/lessons/#recommended-path")
    db.session.expire_all()
    assert db.session.get(User, learner.id).family_role == "parent_teen"
    assert actions()[-1] == "user.family_role_changed"
    page = client.get("/lessons/").get_data(as_text=True)
    assert "Your recommended path" in page and "Get a recommended path" not in page


@pytest.mark.parametrize("value", ["", "landlord", "x" * 500])
def test_learn_page_role_form_rejects_bad_values_with_422(app, client, auth, curriculum, learner, value):
    response = auth.post("/lessons/role", {"family_role": value}, page="/lessons/")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Choose" in page and 'aria-invalid="true"' in page
    assert "Modules" in page  # the whole Learn page again, with the field error
    db.session.expire_all()
    assert db.session.get(User, learner.id).family_role is None


def test_learn_page_role_form_needs_csrf_and_sign_in(app, client, auth, learner):
    response = client.post("/lessons/role", data={"family_role": "partner"})
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(User, learner.id).family_role is None
    auth.logout()
    token = auth.csrf("/auth/login")
    response = client.post("/lessons/role", data={"family_role": "partner", "csrf_token": token})
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


# ---- the recommended path ----


def test_recommended_path_in_order_with_progress_and_next_lesson(app, client, curriculum, learner):
    learner.family_role = "partner"
    db.session.commit()
    track = tracks.track_for("partner")
    first, second = (db.session.scalar(db.select(Lesson).filter_by(slug=s)) for s in track.lessons[:2])
    complete_lesson(learner, first)
    overview = tracks.track_overview(learner.id, "partner")
    assert [lesson.slug for lesson in overview.lessons] == list(track.lessons)
    assert overview.lessons[0].state == "complete" and overview.completed == 1
    assert overview.next_lesson.slug == second.slug
    page = client.get("/lessons/").get_data(as_text=True)
    path_html = page[page.index('id="recommended-path"') : page.index("<h2>Modules</h2>")]
    listed = path_html[path_html.index("track-lessons") :]
    positions = [listed.index(f'/lessons/read/{slug}"') for slug in track.lessons]
    assert positions == sorted(positions)  # shown in the track's order, above the catalogue
    assert f"1 of {len(track.lessons)} lessons complete" in path_html
    assert f"Continue: {second.title}" in path_html
    assert f'href="/lessons/read/{second.slug}" aria-current="step"' in path_html
    assert "Change your role" in path_html


def test_unpublished_lesson_drops_out_of_the_path(app, curriculum, learner):
    track = tracks.track_for("sibling")
    lesson = db.session.scalar(db.select(Lesson).filter_by(slug=track.lessons[0]))
    lesson.status = Status.DRAFT.value
    db.session.commit()
    overview = tracks.track_overview(learner.id, "sibling")
    assert [x.slug for x in overview.lessons] == list(track.lessons[1:])


def test_every_lesson_stays_open_whatever_the_role(app, client, curriculum, learner):
    learner.family_role = "sibling"
    db.session.commit()
    off_path = next(s for s in slugs_by_module() if s not in tracks.track_for("sibling").lessons)
    assert client.get(f"/lessons/read/{off_path}").status_code == 200
    page = client.get("/lessons/").get_data(as_text=True)
    assert page.count('class="module-card"') == db.session.scalar(db.select(db.func.count(Module.id)))


def test_track_pages_for_anyone_signed_in(app, client, auth, curriculum):
    counselor = make_user(roles=(Role.COUNSELOR,))
    auth.login(counselor.email)
    for role in FAMILY_ROLES:
        response = client.get(f"/lessons/tracks/{role}")
        assert response.status_code == 200, role
        assert tracks.track_for(role).title in response.get_data(as_text=True)
    assert client.get("/lessons/tracks/landlord").status_code == 404
    assert client.get("/lessons/tracks/" + "x" * 300).status_code == 404
    auth.logout()
    response = client.get("/lessons/tracks/partner")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_staff_see_no_role_prompt(app, client, auth, curriculum):
    counselor = make_user(roles=(Role.COUNSELOR,))
    auth.login(counselor.email)
    page = client.get("/lessons/").get_data(as_text=True)
    assert "Get a recommended path" not in page and "Paths for each family role" in page
