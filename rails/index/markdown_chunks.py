"""Splitting Markdown documents into titled chunks for the knowledge base (spec §5.6)."""
from __future__ import annotations

import re
from typing import Any

import yaml

_HEADING = re.compile(r"^(#{1,6})\s*(.*?)\s*#*\s*$")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def split_markdown(content: str, max_chunk_size: int = 400) -> list[dict[str, Any]]:
    """Chunks `{"title", "body", **document meta}` cut at headings; a section longer than
    `max_chunk_size` characters is cut at paragraph ends (and a single over-long paragraph at
    sentence ends). The title is the heading path, e.g. `Returns - Damaged items`. A leading
    fenced block of YAML is document meta copied into every chunk. Code fences are kept whole
    and `#` lines inside them are not headings."""
    lines = content.strip().splitlines()
    meta: dict[str, Any] = {}
    if lines and lines[0].startswith("```"):
        end = next((i for i in range(1, len(lines)) if lines[i].startswith("```")), None)
        if end is not None:
            loaded = yaml.safe_load("\n".join(lines[1:end]))
            if isinstance(loaded, dict):
                meta = loaded
                lines = lines[end + 1:]

    chunks: list[dict[str, Any]] = []
    titles: list[str] = []
    paragraphs: list[str] = []
    current: list[str] = []
    in_code = False

    def end_paragraph() -> None:
        if current:
            paragraphs.append("\n".join(current).strip())
            current.clear()

    def flush() -> None:
        end_paragraph()
        for body in _pack([p for p in paragraphs if p], max_chunk_size):
            chunks.append({"title": " - ".join(t for t in titles if t), "body": body, **meta})
        paragraphs.clear()

    for line in lines:
        if line.lstrip().startswith("```"):
            in_code = not in_code
            current.append(line)
            continue
        heading = None if in_code else _HEADING.match(line)
        if heading:
            flush()
            level = len(heading.group(1))
            del titles[level - 1:]
            titles.extend([""] * (level - 1 - len(titles)))
            titles.append(heading.group(2))
        elif not line.strip() and not in_code:
            end_paragraph()
        else:
            current.append(line)
    flush()
    return chunks


def _pack(paragraphs: list[str], limit: int) -> list[str]:
    """Greedy packing of paragraphs into bodies of at most `limit` characters."""
    pieces: list[str] = []
    for paragraph in paragraphs:
        if len(paragraph) <= limit or paragraph.startswith("```"):
            pieces.append(paragraph)
        else:
            pieces.extend(_pack_sentences(_SENTENCE_END.split(paragraph), limit))
    bodies: list[str] = []
    for piece in pieces:
        if bodies and len(bodies[-1]) + 2 + len(piece) <= limit:
            bodies[-1] += "\n\n" + piece
        else:
            bodies.append(piece)
    return bodies


def _pack_sentences(sentences: list[str], limit: int) -> list[str]:
    parts: list[str] = []
    for sentence in sentences:
        if parts and len(parts[-1]) + 1 + len(sentence) <= limit:
            parts[-1] += " " + sentence
        else:
            parts.append(sentence)
    return parts
