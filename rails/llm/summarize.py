"""`summarize_document`: summarize a text file with a model (NeMo's sample action of that name).

The text is cut into pieces at paragraph breaks; each piece is summarized, then the summaries
are summarized together (map-reduce), so a long document never has to fit in one prompt."""
from __future__ import annotations

import logging
from typing import Any, Optional

from rails.actions.decorator import action
from rails.llm.call import llm_call

log = logging.getLogger(__name__)
_loop_thread: Any = None  # one private loop for the synchronous `run`, started on first use

PIECE_CHARS = 6000
_PIECE_PROMPT = "Summarize the following text in a few sentences.\n\nText:\n{text}\n\nSummary:"
_JOIN_PROMPT = ("These are summaries of consecutive parts of one document. Write one summary "
                "of the whole document.\n\n{text}\n\nSummary:")


def _pieces(text: str, size: int = PIECE_CHARS) -> list[str]:
    pieces, current = [], ""
    for paragraph in text.split("\n\n"):
        while len(paragraph) > size:  # a paragraph longer than a piece is cut where it must be
            pieces.append(paragraph[:size])
            paragraph = paragraph[size:]
        if current and len(current) + len(paragraph) + 2 > size:
            pieces.append(current)
            current = ""
        current = f"{current}\n\n{paragraph}" if current else paragraph
    if current.strip():
        pieces.append(current)
    return pieces


async def summarize_text(text: str, llm: Any) -> str:
    summaries = [(await llm_call(llm, _PIECE_PROMPT.format(text=piece),
                                 task="summarize_document")).strip() for piece in _pieces(text)]
    if len(summaries) == 1:
        return summaries[0]
    return (await llm_call(llm, _JOIN_PROMPT.format(text="\n\n".join(summaries)),
                           task="summarize_document")).strip()


@action(name="summarize_document")
class SummarizeDocument:
    """`SummarizeDocument(document_path, llm).run()` returns the summary, or None when the file
    cannot be read or the model fails (the cause is logged)."""

    def __init__(self, document_path: Optional[str] = None, llm: Any = None) -> None:
        self.document_path, self.llm = document_path, llm

    def run(self, document_path: Optional[str] = None, llm: Any = None) -> Optional[str]:
        global _loop_thread
        if _loop_thread is None:
            from rails.sync import LoopThread

            _loop_thread = LoopThread()
        path, model = document_path or self.document_path, llm or self.llm
        try:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
            return _loop_thread.run(summarize_text(text, model))
        except Exception as error:  # NeMo's contract: None, not an exception
            log.warning("summarize_document: %s: %s", type(error).__name__, error)
            return None
