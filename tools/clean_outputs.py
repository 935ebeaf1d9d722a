"""Rewrite stored tqdm output into what `transformer_nbdev.training.progress_bar` stores.

Old runs wrote every refresh of a bar to stderr, so the notebook kept every state ("\\r" + state,
one stream output each, or one output with "\\r"-separated states, or repeated newline-ended
states). The progress bar now is one text/plain display output replaced in place, so a notebook
keeps only the final state of each bar, where the bar first appeared. This tool turns the old form
into the new one: each bar becomes one display_data output holding its last state, the newline tqdm
wrote when the bar closed is dropped, and every other output (and every other line of a stderr
output) is kept byte-identical. Only stderr streams are touched: tqdm writes there, and a line a
cell prints on stdout (e.g. the final state of each epoch read back from a log) is the notebook's.

Usage: python tools/clean_outputs.py [NOTEBOOK ...]   (default: every notebook under nbs/)
       python tools/clean_outputs.py --check           (exit 1 if a notebook would change)
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# one tqdm state: "desc: 42%|####  | 84/200 [00:05<00:07, ...]" (desc optional) or "desc: 84it [..."
BAR = re.compile(
    r"^(?P<desc>.*?)(?::\s*)?\s*(?:\d+%\|[^|]*\|\s*)?[\d.]+[kMGT]?(?:/[\d.]+[kMGT]?|it)\s*\["
)
PIECE = re.compile(r"\r[^\r\n]*\n?|[^\r\n]*\n|[^\r\n]+")


def bar_desc(line: str) -> str | None:
    "The description that names the bar if `line` is one tqdm state, else None."
    m = BAR.match(line)
    return None if m is None else m["desc"].strip()


def _stream(name: str, text: str) -> dict:
    return {"name": name, "output_type": "stream", "text": text.splitlines(True)}


def _display(state: str) -> dict:
    return {"data": {"text/plain": [state]}, "metadata": {}, "output_type": "display_data"}


def clean_outputs(outputs: list[dict]) -> tuple[list[dict], int]:
    "The outputs with each bar reduced to its final state, and the number of bar states removed."
    new: list[dict] = []
    open_bar = None  # [desc, display output] of the bar whose states are being replaced
    last_closed = (
        None  # the bar closed just before, for bars written as repeated newline-ended lines
    )
    removed = 0
    for out in outputs:
        if out.get("output_type") != "stream" or out.get("name") != "stderr":
            new.append(out)
            last_closed = None
            continue
        text = "".join(out["text"])
        pieces = PIECE.findall(text)
        if not any(bar_desc(p.strip("\r\n").rstrip(" ")) is not None for p in pieces) and not (
            open_bar and pieces and pieces[0] == "\n"
        ):
            new.append(out)  # no bar in it: kept as it is
            last_closed = None
            continue
        kept = ""  # the non-bar text of this output, flushed in order around the bars
        for piece in pieces:
            state = piece.strip("\r\n").rstrip(" ")
            desc = bar_desc(state)
            if desc is None:
                if piece == "\n" and open_bar is not None:  # tqdm's newline when the bar closed
                    last_closed, open_bar = open_bar, None
                    continue
                kept += piece
                last_closed = None
                continue
            if kept:
                new.append(_stream("stderr", kept))
                kept = ""
            bar = open_bar or (last_closed if last_closed and last_closed[0] == desc else None)
            if bar is not None and bar[0] == desc:
                bar[1]["data"]["text/plain"] = [state]  # a later state of the same bar
                removed += 1
            else:
                bar = [desc, _display(state)]
                new.append(bar[1])
            open_bar = bar
            if piece.endswith("\n"):
                last_closed, open_bar = open_bar, None
        if kept:
            new.append(_stream("stderr", kept))
    return new, removed


def clean_notebook(path: Path, write: bool = True) -> int:
    "Clean the notebook at `path` in place; the number of bar states removed."
    raw = path.read_text(encoding="utf-8")
    nb = json.loads(raw)
    total = 0
    for cell in nb["cells"]:
        if cell["cell_type"] == "code" and cell.get("outputs"):
            cell["outputs"], n = clean_outputs(cell["outputs"])
            total += n
    if total and write:
        text = json.dumps(nb, indent=1, ensure_ascii=False) + "\n"  # the layout nbdev_clean writes
        path.write_text(text, encoding="utf-8")
    return total


def main(argv: list[str]) -> int:
    check = "--check" in argv
    paths = [Path(a) for a in argv if a != "--check"] or sorted((ROOT / "nbs").rglob("*.ipynb"))
    changed = 0
    for path in paths:
        n = clean_notebook(path, write=not check)
        if n:
            changed += 1
            print(f"{path}: {n} bar states {'to remove' if check else 'removed'}")
    return 1 if check and changed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
