"""`{name: FileSystem, filepath: ...}`: each traced turn as one JSON line, appended to a file
(NeMo's default adapter; the default path is NeMo's too)."""
from __future__ import annotations

import json
import os
import threading
from typing import Any

from rails.tracing.adapters.base import InteractionLogAdapter

DEFAULT_PATH = "./.traces/trace.jsonl"


class FileSystemAdapter(InteractionLogAdapter):
    name = "FileSystem"

    def __init__(self, filepath: str = DEFAULT_PATH, **_: Any):
        self.filepath = os.path.abspath(filepath)
        directory = os.path.dirname(self.filepath)
        if directory:
            os.makedirs(directory, exist_ok=True)
        self._lock = threading.Lock()  # whole lines, also from the sync API's loop thread

    def transform(self, interaction_log: Any) -> None:
        record = {"trace_id": interaction_log.id,
                  "spans": [span.to_dict() for span in interaction_log.trace]}
        line = json.dumps(record, default=str, ensure_ascii=False) + "\n"
        with self._lock, open(self.filepath, "a", encoding="utf-8") as handle:
            handle.write(line)
