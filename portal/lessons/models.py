"""Database models for lessons."""
