"""The SQLite thread store (see rails.state.sqlite_store), importable from its old place."""
from rails.state.sqlite_store import SQLiteThreadStore

__all__ = ["SQLiteThreadStore"]
