"""Internal helpers for skactive; nothing here is public API."""
