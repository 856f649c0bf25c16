"""An export in parts: progress through `emit`, a confirmation through `ask`, and each part
written in a named `step`, so a replay after the answer (or a restart) writes nothing twice."""
import asyncio
import os
import tempfile
from pathlib import Path

from rails.actions import action, ask, emit, step


def _has_export(folder: str) -> bool:
    return any(Path(folder).glob("part-*.csv"))


def _clear(folder: str) -> int:
    old = list(Path(folder).glob("part-*.csv"))
    for path in old:
        path.unlink()
    return len(old)


def _write_part(folder: str, number: int) -> str:
    path = Path(folder) / f"part-{number}.csv"
    with open(path, "a") as file:  # appending: a repeated write would show as a longer file
        file.write(f"id,part\n{number},{number}\n")
    return path.name


@action()
async def export_data(parts: int = 5) -> str:
    folder = os.environ.get("EXPORT_DIR") or os.path.join(tempfile.gettempdir(), "rails-export")
    os.makedirs(folder, exist_ok=True)
    # A replay must take the same path: what it reads from the world is a step too.
    if await step("check", _has_export, folder):
        if not await ask.confirm("Overwrite?", f"{folder} already holds an export. Replace it?"):
            await emit.notification("Export cancelled", type="warning")
            return "cancelled"
        await step("clear", _clear, folder)
    written = []
    for number in range(1, parts + 1):
        await emit.status(f"Exporting part {number} of {parts}", done=False)
        written.append(await step(f"part-{number}", _write_part, folder, number))
        await asyncio.sleep(0.05)  # the slow part of a real export
    await emit.status(f"Exported {parts} parts", done=True)
    await emit.files([{"name": name, "url": f"file://{folder}/{name}"} for name in written])
    return f"{parts} parts in {folder}"
