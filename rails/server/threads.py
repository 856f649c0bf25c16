"""Conversation threads kept by the server, so clients send only their new messages. The
stores live in `rails.state` (messages, events and dialog state per thread); these names stay
importable from here."""
from rails.state.store import (ThreadConfigMismatch, ThreadConflict, ThreadLocks, ThreadRecord,
                               ThreadStore, open_thread_store)

__all__ = ["ThreadStore", "ThreadLocks", "ThreadRecord", "ThreadConflict",
           "ThreadConfigMismatch", "open_thread_store"]
