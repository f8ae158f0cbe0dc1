"""Database models for care."""
