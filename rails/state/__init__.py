"""Conversations that survive: threads keep their messages, their events and the dialog state
the engine continues from, written atomically per turn with an optimistic version check
(SQLite or Redis), and states handed to clients are signed by the server.

The state's own format belongs to the runtime (`rails.runtime.state_codec`); this package
stores it, checks who may continue it, and seals it for the trip over HTTP."""
