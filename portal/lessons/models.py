"""The curriculum (modules, lessons, knowledge checks) and each learner's own records."""

import enum
import hashlib
import re
import secrets
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import sanitize
from portal.clock import UTCDateTime, utcnow
from portal.extensions import db

# Private-use characters that mark search hits; stripped from lesson text so they never collide.
MARK_START, MARK_END = "\ue000", "\ue001"


class Status(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


def source_hash(*parts):
    """A stable fingerprint of content as loaded from files (tells unchanged from changed)."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(str(part).encode())
        digest.update(b"\0")
    return digest.hexdigest()


class Module(db.Model):
    __tablename__ = "lesson_modules"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    summary: Mapped[str] = mapped_column(sa.String(500), default="")
    intro_md: Mapped[str] = mapped_column(sa.Text, default="")
    intro_html: Mapped[str] = mapped_column(sa.Text, default="")
    position: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(sa.String(20), default=Status.PUBLISHED)
    source_hash: Mapped[str | None] = mapped_column(sa.String(64))
    edited_in_portal: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    lessons: Mapped[list["Lesson"]] = relationship(back_populates="module", order_by="Lesson.position")

    @property
    def is_published(self):
        return self.status == Status.PUBLISHED

    def set_intro(self, markdown):
        self.intro_md = markdown or ""
        self.intro_html = str(sanitize.markdown_to_html(self.intro_md))


class Lesson(db.Model):
    __tablename__ = "lessons"

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(sa.ForeignKey("lesson_modules.id"), index=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    summary: Mapped[str] = mapped_column(sa.String(500), default="")
    reflection_prompt: Mapped[str] = mapped_column(sa.String(500), default="")
    body_md: Mapped[str] = mapped_column(sa.Text, default="")
    body_html: Mapped[str] = mapped_column(sa.Text, default="")
    # Plain text of the body, for search snippets and word counts.
    body_text: Mapped[str] = mapped_column(sa.Text, default="")
    minutes: Mapped[int] = mapped_column(default=5)
    position: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(sa.String(20), default=Status.PUBLISHED)
    source_hash: Mapped[str | None] = mapped_column(sa.String(64))
    edited_in_portal: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # "Try this week": one small, safe thing to do after reading ("" when the lesson has none),
    # and the slug of the lesson to offer when it went badly ("" for none).
    practice_text: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    practice_followup: Mapped[str] = mapped_column(sa.String(80), default="", server_default="")

    module: Mapped[Module] = relationship(back_populates="lessons")
    questions: Mapped[list["Question"]] = relationship(
        back_populates="lesson", order_by="Question.position", cascade="all, delete-orphan"
    )

    @property
    def is_published(self):
        return self.status == Status.PUBLISHED

    def set_body(self, markdown):
        """Keep the author's Markdown and its sanitized HTML side by side."""
        self.body_md = markdown or ""
        html = sanitize.markdown_to_html(self.body_md)
        self.body_html = str(html)
        # Headings end with a full stop in the plain text, so search snippets read as sentences.
        text = sanitize.plain_text(re.sub(r"([^.?!:\s])\s*</h([2-4])>", r"\1.</h\2>", self.body_html))
        text = text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
        self.body_text = " ".join(text.replace(MARK_START, "").replace(MARK_END, "").split())


class Question(db.Model):
    __tablename__ = "lesson_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(sa.ForeignKey("lessons.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    prompt: Mapped[str] = mapped_column(sa.String(500))
    choices: Mapped[list] = mapped_column(sa.JSON)
    answer: Mapped[int] = mapped_column()
    explanation: Mapped[str] = mapped_column(sa.String(1000), default="")
    # One explanation per choice, in the order of `choices` (None for older questions).
    feedback: Mapped[list | None] = mapped_column(sa.JSON)

    lesson: Mapped[Lesson] = relationship(back_populates="questions")

    def is_correct(self, choice):
        return choice == self.answer

    def feedback_for(self, choice):
        """The explanation written for this choice, or the question's general explanation."""
        own = (self.feedback or [])[choice] if 0 <= choice < len(self.feedback or []) else ""
        return own or self.explanation


class LessonProgress(db.Model):
    __tablename__ = "lesson_progress"
    __table_args__ = (sa.UniqueConstraint("user_id", "lesson_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    lesson_id: Mapped[int] = mapped_column(sa.ForeignKey("lessons.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    lesson: Mapped[Lesson] = relationship()

    @property
    def is_complete(self):
        return self.completed_at is not None


class QuizAnswer(db.Model):
    __tablename__ = "lesson_quiz_answers"
    __table_args__ = (sa.UniqueConstraint("user_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("lesson_questions.id", ondelete="CASCADE"), index=True)
    choice: Mapped[int] = mapped_column()
    correct: Mapped[bool] = mapped_column()
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Reflection(db.Model):
    """A learner's private note on one lesson: only its author ever reads it."""

    __tablename__ = "lesson_reflections"
    __table_args__ = (sa.UniqueConstraint("user_id", "lesson_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    lesson_id: Mapped[int] = mapped_column(sa.ForeignKey("lessons.id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    lesson: Mapped[Lesson] = relationship()

    def set_body(self, text):
        self.body = text
        self.body_html = str(sanitize.markdown_to_html(text))


def new_verification_code():
    """Ten random base-32 characters in two groups, e.g. FB-7KQ2M-XW9PD (50 bits)."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    raw = "".join(secrets.choice(alphabet) for _ in range(10))
    return f"FB-{raw[:5]}-{raw[5:]}"


class Certificate(db.Model):
    """Completion of one module. Name and title are kept as they were on the day it was issued."""

    __tablename__ = "lesson_certificates"
    __table_args__ = (sa.UniqueConstraint("user_id", "module_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    module_id: Mapped[int] = mapped_column(sa.ForeignKey("lesson_modules.id", ondelete="CASCADE"))
    recipient_name: Mapped[str] = mapped_column(sa.String(120))
    module_title: Mapped[str] = mapped_column(sa.String(200))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    code: Mapped[str] = mapped_column(sa.String(20), unique=True, default=new_verification_code)

    module: Mapped[Module] = relationship()


class LessonRevision(db.Model):
    """One saved state of a lesson, for history, diff and restore."""

    __tablename__ = "lesson_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(sa.ForeignKey("lessons.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(sa.String(20), default="portal")  # portal | files | restore
    title: Mapped[str] = mapped_column(sa.String(200))
    summary: Mapped[str] = mapped_column(sa.String(500), default="")
    reflection_prompt: Mapped[str] = mapped_column(sa.String(500), default="")
    minutes: Mapped[int] = mapped_column(default=5)
    body_md: Mapped[str] = mapped_column(sa.Text, default="")

    author: Mapped["User | None"] = relationship()  # noqa: F821

    @classmethod
    def snapshot(cls, lesson, author=None, source="portal"):
        return cls(
            lesson_id=lesson.id,
            author_id=getattr(author, "id", None),
            source=source,
            title=lesson.title,
            summary=lesson.summary,
            reflection_prompt=lesson.reflection_prompt,
            minutes=lesson.minutes,
            body_md=lesson.body_md,
            created_at=utcnow(),
        )


class ProgressSharing(db.Model):
    """A family member's choice to show their lesson progress to their linked client's counselor."""

    __tablename__ = "lesson_progress_sharing"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    enabled: Mapped[bool] = mapped_column(default=False)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# --- translations (portal/content/<locale>/, docs/curriculum.md "Translations") -----------------


class ModuleTranslation(db.Model):
    """A module's text in another language, with the fingerprint of the English it translates."""

    __tablename__ = "module_translations"
    __table_args__ = (sa.UniqueConstraint("module_id", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(sa.ForeignKey("lesson_modules.id", ondelete="CASCADE"), index=True)
    locale: Mapped[str] = mapped_column(sa.String(10))
    title: Mapped[str] = mapped_column(sa.String(200))
    summary: Mapped[str] = mapped_column(sa.String(500), default="")
    intro_md: Mapped[str] = mapped_column(sa.Text, default="")
    intro_html: Mapped[str] = mapped_column(sa.Text, default="")
    translation_of: Mapped[str] = mapped_column(sa.String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def set_intro(self, markdown):
        self.intro_md = markdown or ""
        self.intro_html = str(sanitize.markdown_to_html(self.intro_md))


class LessonTranslation(db.Model):
    """A lesson's text in another language. Its questions are matched to the English ones by
    position (same answers, same answer indexes), so progress and answers are shared."""

    __tablename__ = "lesson_translations"
    __table_args__ = (sa.UniqueConstraint("lesson_id", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(sa.ForeignKey("lessons.id", ondelete="CASCADE"), index=True)
    locale: Mapped[str] = mapped_column(sa.String(10))
    title: Mapped[str] = mapped_column(sa.String(200))
    summary: Mapped[str] = mapped_column(sa.String(500), default="")
    reflection_prompt: Mapped[str] = mapped_column(sa.String(500), default="")
    body_md: Mapped[str] = mapped_column(sa.Text, default="")
    body_html: Mapped[str] = mapped_column(sa.Text, default="")
    body_text: Mapped[str] = mapped_column(sa.Text, default="")
    # [{"prompt", "choices", "explanation", "feedback"}], in the order of the English questions.
    questions: Mapped[list] = mapped_column(sa.JSON, default=list)
    translation_of: Mapped[str] = mapped_column(sa.String(64))
    # The "Try this week" practice in this language ("" when the file has none). Practices are
    # outside the fingerprint, so `practice_of` records the English practice (source_hash of its
    # text) current when this one last changed: a later English change makes it stale.
    practice_text: Mapped[str] = mapped_column(sa.String(500), default="")
    practice_of: Mapped[str] = mapped_column(sa.String(64), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    set_body = Lesson.set_body


# --- full-text search index (SQLite FTS5 / PostgreSQL GIN) ------------------------------------


def sqlite_fts_ddl(index, content, tokenize):
    """An FTS5 index over the title, summary and text of the `content` table, and the three
    triggers that keep it in step with that table's inserts, deletes and updates."""
    columns, new_row, old_row = (
        "title, summary, body_text",
        "new.id, new.title, new.summary, new.body_text",
        "old.id, old.title, old.summary, old.body_text",
    )
    add = f"INSERT INTO {index}(rowid, {columns}) VALUES ({new_row});"  # noqa: S608 (our own table names)
    remove = f"INSERT INTO {index}({index}, rowid, {columns}) VALUES ('delete', {old_row});"  # noqa: S608
    return [
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {index} USING fts5("
        f"{columns}, content='{content}', content_rowid='id', tokenize='{tokenize}')",
        f"CREATE TRIGGER IF NOT EXISTS {index}_ai AFTER INSERT ON {content} BEGIN {add} END",
        f"CREATE TRIGGER IF NOT EXISTS {index}_ad AFTER DELETE ON {content} BEGIN {remove} END",
        f"CREATE TRIGGER IF NOT EXISTS {index}_au AFTER UPDATE ON {content} BEGIN {remove} {add} END",
    ]


SQLITE_FTS_DDL = sqlite_fts_ddl("lessons_fts", "lessons", "porter unicode61")


def pg_search_document(alias=""):
    """The weighted tsvector of a lesson (title, summary, text); the GIN index uses the same expression.

    Angle brackets become ‹ › first: PostgreSQL's parser would otherwise drop anything that looks
    like an HTML tag, and with it words a lesson shows as literal text.
    """
    p = f"{alias}." if alias else ""
    return (
        f"setweight(to_tsvector('english', {pg_plain(p + 'title')}), 'A') || "
        f"setweight(to_tsvector('english', {pg_plain(p + 'summary')}), 'B') || "
        f"to_tsvector('english', {pg_plain(p + 'body_text')})"
    )


def pg_plain(column):
    return f"translate(coalesce({column}, ''), '<>', '‹›')"


PG_FTS_DDL = [f"CREATE INDEX IF NOT EXISTS ix_lessons_search ON lessons USING gin (({pg_search_document()}))"]


def _create_search_index(target, connection, **kw):
    statements = {"sqlite": SQLITE_FTS_DDL, "postgresql": PG_FTS_DDL}.get(connection.dialect.name, [])
    for statement in statements:
        connection.exec_driver_sql(statement)


def _drop_search_index(target, connection, **kw):
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("DROP TABLE IF EXISTS lessons_fts")


sa.event.listen(Lesson.__table__, "after_create", _create_search_index)
sa.event.listen(Lesson.__table__, "before_drop", _drop_search_index)


class WorksheetEntry(db.Model):
    """A family member's answers to one worksheet (portal/lessons/worksheets.py): only they read it."""

    __tablename__ = "worksheet_entries"
    __table_args__ = (sa.UniqueConstraint("user_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(sa.String(80))
    answers: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# Translated lessons: words folded to their unaccented form (remove_diacritics 2), no English
# stemmer; Spanish word endings are handled on the query side (portal/lessons/search.py).
SQLITE_TRANSLATION_FTS_DDL = sqlite_fts_ddl(
    "lessons_fts_translations", "lesson_translations", "unicode61 remove_diacritics 2"
)


def _create_translation_search_index(target, connection, **kw):
    if connection.dialect.name == "sqlite":
        for statement in SQLITE_TRANSLATION_FTS_DDL:
            connection.exec_driver_sql(statement)


def _drop_translation_search_index(target, connection, **kw):
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("DROP TABLE IF EXISTS lessons_fts_translations")


sa.event.listen(LessonTranslation.__table__, "after_create", _create_translation_search_index)
sa.event.listen(LessonTranslation.__table__, "before_drop", _drop_translation_search_index)


class Outcome(enum.StrEnum):
    """How a "Try this week" practice went, as the family member said on a later visit."""

    TRIED = "tried"
    NOT_YET = "not_yet"  # didn't get to it
    WENT_BADLY = "went_badly"


class PracticeCommitment(db.Model):
    """A family member's "I'll try this" for one lesson's practice, and later how it went.

    Open while `outcome` is NULL: one open commitment per person and lesson (a partial unique
    index). The note is private to its author unless `note_shared` (docs/curriculum.md).
    """

    __tablename__ = "practice_commitments"
    __table_args__ = (
        sa.Index(
            "uq_practice_commitments_open",
            "user_id",
            "lesson_id",
            unique=True,
            sqlite_where=sa.text("outcome IS NULL"),
            postgresql_where=sa.text("outcome IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    lesson_id: Mapped[int] = mapped_column(sa.ForeignKey("lessons.id", ondelete="CASCADE"), index=True)
    committed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    outcome: Mapped[str | None] = mapped_column(sa.String(20))
    outcome_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(sa.Text)
    note_html: Mapped[str | None] = mapped_column(sa.Text)
    note_shared: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    lesson: Mapped[Lesson] = relationship()

    @property
    def is_open(self):
        return self.outcome is None

    def set_note(self, text):
        """The private note, kept as written and as sanitized HTML (None clears it)."""
        self.note = text or None
        self.note_html = str(sanitize.markdown_to_html(text)) if text else None


class Assignment(db.Model):
    """A lesson, a whole module or a worksheet a counselor asked one family member to do.

    `target` is a lesson slug, "module:<slug>" or "worksheet:<slug>" (portal/lessons/picker.py).
    The family member sees it while their link to `client_id` is valid; the counselor sees whether
    it is done only while the family member shares their progress (portal/lessons/assignments.py).
    """

    __tablename__ = "lesson_assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    assigned_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    target: Mapped[str] = mapped_column(sa.String(90))
    note: Mapped[str] = mapped_column(sa.String(300), default="")
    due_on: Mapped[date | None] = mapped_column(sa.Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
