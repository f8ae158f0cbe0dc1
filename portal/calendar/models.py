"""Database models for calendar."""
