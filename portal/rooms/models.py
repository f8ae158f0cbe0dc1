"""Database models for rooms."""
