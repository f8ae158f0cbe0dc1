"""Demo data for lessons (DESIGN §5)."""


def seed(accounts):
    """Create this feature's demo rows (idempotent); returns lines for the CLI to print."""
    return []
