"""Demo data for lessons (docs/architecture.md): the whole curriculum."""

from portal.lessons.loader import load_curriculum


def seed(accounts):
    """Load the curriculum files (idempotent); returns lines for the CLI to print."""
    report = load_curriculum()
    lessons = sum(v for k, v in report.items() if k.startswith("lessons "))
    return [f"curriculum: {lessons} lessons ({', '.join(f'{k}: {v}' for k, v in sorted(report.items()))})"]
