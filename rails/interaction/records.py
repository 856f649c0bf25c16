"""The records interactive actions keep in an InteractionStore, and the rules that make a
click or an answer count once: every change of state is a compare-and-swap on the record's
version, so of two workers racing for the same button or question exactly one wins.

Keys: `button:<id>`, `question:<id>`, `journal:<run id>`, `reply:<scope>:<idempotency key>`;
indexes: `thread:<id>:buttons`, `thread:<id>:questions`, `message:<id>:buttons`, and
`pending` (pending questions by expiry time, for the timeout sweep)."""
from __future__ import annotations

import time
from typing import Any, Callable, Optional

from rails.errors import (ButtonNotFoundError, ButtonUnavailableError, InteractionClosedError,
                          InteractionExpiredError, InteractionNotFoundError)
from rails.interaction.store import InteractionStore

PENDING_INDEX = "pending"
_CAS_ATTEMPTS = 50


# -- buttons ---------------------------------------------------------------------------------

async def save_buttons(store: InteractionStore, thread_id: Optional[str], buttons: list,
                       retention: float) -> None:
    now = time.time()
    for button in buttons:
        record = {**button.record(), "thread_id": thread_id, "status": "live",
                  "created_at": now}
        await store.put(f"button:{button.id}", record, ttl=retention)
        if thread_id is not None:
            await store.index_add(f"thread:{thread_id}:buttons", button.id, now)
        await store.index_add(f"message:{button.for_id}:buttons", button.id, now)


async def live_buttons(store: InteractionStore, thread_id: str) -> list[dict]:
    out = []
    for button_id in await store.index_members(f"thread:{thread_id}:buttons"):
        record = await store.get(f"button:{button_id}")
        if record is None or record.get("status") != "live":
            await store.index_remove(f"thread:{thread_id}:buttons", button_id)
            continue
        out.append(record)
    return out


async def claim_button(store: InteractionStore, button_id: Any,
                       thread_id: Optional[str]) -> dict:
    """The button's record, marked used unless it is reusable. Raises ButtonNotFoundError
    (unknown, or of another thread: the two are not told apart, so ids cannot be probed) or
    ButtonUnavailableError (removed or used)."""
    if not isinstance(button_id, str) or not button_id:
        raise ButtonNotFoundError("`button_id` must be the id of a button, a non-empty string",
                                  param="button_id", code="invalid_button_id", status=400)
    for _ in range(_CAS_ATTEMPTS):
        record = await store.get(f"button:{button_id}")
        if record is None or (thread_id is not None and record.get("thread_id") != thread_id):
            where = f" in thread {thread_id}" if thread_id is not None else ""
            raise ButtonNotFoundError(f"no button {button_id!r}{where}", param="button_id")
        if record.get("status") != "live":
            raise ButtonUnavailableError(
                f"button {button_id!r} ({record.get('label')!r}) is no longer available: it "
                f"was {record.get('status')}", param="button_id")
        if record.get("reusable"):
            return record
        used = {**record, "status": "used", "used_at": time.time()}
        if await store.swap(f"button:{button_id}", record["_v"], used):
            if thread_id is not None:
                await store.index_remove(f"thread:{thread_id}:buttons", button_id)
            return used
    raise ButtonUnavailableError(f"button {button_id!r} is being clicked elsewhere",
                                 param="button_id")


async def remove_button(store: InteractionStore, button_id: str) -> None:
    for _ in range(_CAS_ATTEMPTS):
        record = await store.get(f"button:{button_id}")
        if record is None or record.get("status") == "removed":
            return
        if await store.swap(f"button:{button_id}", record["_v"],
                            {**record, "status": "removed"}):
            if record.get("thread_id") is not None:
                await store.index_remove(f"thread:{record['thread_id']}:buttons", button_id)
            return


async def message_button_ids(store: InteractionStore, message_id: str) -> list[str]:
    return await store.index_members(f"message:{message_id}:buttons")


# -- questions -------------------------------------------------------------------------------

async def save_question(store: InteractionStore, question: dict, retention: float) -> None:
    await store.put(f"question:{question['id']}", question,
                    ttl=retention + question["timeout_s"])
    if question.get("thread_id") is not None:
        await store.index_add(f"thread:{question['thread_id']}:questions", question["id"],
                              question["created_at"])
    await store.index_add(PENDING_INDEX, question["id"], question["expires_at"])


async def get_question(store: InteractionStore, question_id: Any,
                       thread_id: Optional[str]) -> dict:
    if not isinstance(question_id, str) or not question_id:
        raise InteractionNotFoundError("`interaction_id` must be the id of a question, a "
                                       "non-empty string", param="interaction_id",
                                       status=400, code="invalid_interaction_id")
    record = await store.get(f"question:{question_id}")
    if record is None or (thread_id is not None and record.get("thread_id") != thread_id):
        where = f" in thread {thread_id}" if thread_id is not None else ""
        raise InteractionNotFoundError(f"no question {question_id!r}{where}",
                                       param="interaction_id")
    return record


async def pending_questions(store: InteractionStore, thread_id: str) -> list[dict]:
    out = []
    for question_id in await store.index_members(f"thread:{thread_id}:questions"):
        record = await store.get(f"question:{question_id}")
        if record is None or record.get("status") != "pending":
            await store.index_remove(f"thread:{thread_id}:questions", question_id)
            continue
        out.append(record)
    return out


async def close_question(store: InteractionStore, question: dict, status: str, *,
                         value: Any = None, allow_expired: bool = False,
                         reply_key: Optional[str] = None) -> dict:
    """Moves a pending question to `status` (answered, cancelled, timeout, withdrawn); exactly
    one caller wins. Raises InteractionClosedError / InteractionExpiredError."""
    key = f"question:{question['id']}"
    record = question
    for _ in range(_CAS_ATTEMPTS):
        if record.get("status") != "pending":
            raise InteractionClosedError(
                f"question {record['id']} was already {record.get('status')}; nothing was run",
                param="interaction_id")
        if not allow_expired and record["expires_at"] < time.time():
            raise InteractionExpiredError(
                f"question {record['id']} expired at {_iso(record['expires_at'])} (it waited "
                f"{record['timeout_s']:g} s); nothing was run", param="interaction_id")
        closed = {**record, "status": status, "closed_at": time.time(), "reply_key": reply_key}
        if status == "answered":
            closed["value"] = value
        if await store.swap(key, record["_v"], closed):
            await store.index_remove(PENDING_INDEX, record["id"])
            if record.get("thread_id") is not None:
                await store.index_remove(f"thread:{record['thread_id']}:questions",
                                         record["id"])
            return closed
        record = await store.get(key)
        if record is None:
            raise InteractionNotFoundError(f"no question {question['id']!r}",
                                           param="interaction_id")
    raise InteractionClosedError(f"question {question['id']} is being answered elsewhere",
                                 param="interaction_id")


async def due_questions(store: InteractionStore, now: float, limit: int = 100) -> list[str]:
    return await store.index_members(PENDING_INDEX, max_score=now, limit=limit)


# -- the journal of an action run ------------------------------------------------------------

async def load_journal(store: InteractionStore, run_id: str) -> dict:
    record = await store.get(f"journal:{run_id}")
    return dict(record.get("entries") or {}) if record else {}


async def update_journal(store: InteractionStore, run_id: str, retention: float,
                         change: Callable[[dict], Optional[dict]]) -> Optional[dict]:
    """Applies `change(entries) -> new entries | None (leave as is)` atomically; returns the
    entries written, or None when `change` declined."""
    key = f"journal:{run_id}"
    for _ in range(_CAS_ATTEMPTS):
        record = await store.get(key)
        entries = dict(record.get("entries") or {}) if record else {}
        new = change(entries)
        if new is None:
            return None
        if record is None:
            if await store.add(key, {"entries": new}, ttl=retention):
                return new
        elif await store.swap(key, record["_v"], {"entries": new}, ttl=retention):
            return new
    raise RuntimeError(f"the journal of action run {run_id} kept changing under this write")


# -- replies kept for Idempotency-Key --------------------------------------------------------

async def stored_reply(store: InteractionStore, scope: str, key: Optional[str]) -> Optional[dict]:
    if not key:
        return None
    record = await store.get(f"reply:{scope}:{key}")
    if record is None:
        return None
    record.pop("_v", None)
    return record


async def keep_reply(store: InteractionStore, scope: str, key: Optional[str], reply: dict,
                     retention: float) -> None:
    if key:
        await store.put(f"reply:{scope}:{key}", reply, ttl=retention)


def _iso(timestamp: float) -> str:
    import datetime

    return datetime.datetime.fromtimestamp(timestamp, datetime.timezone.utc).isoformat(
        timespec="seconds")
