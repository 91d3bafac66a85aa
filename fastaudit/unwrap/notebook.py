"""Jupyter notebooks: each cell's `source` list joined into the code it is (so a key split
over two source lines, or over two literals on two lines, is whole again), and each
output's text joined the same way."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class CellText:
    """One cell's code or one output's text, and the line in the .ipynb file where it
    begins."""

    name: str  # "cell 3" or "cell 3 output 1"
    text: bytes
    line: int


def is_notebook(view: bytes) -> bool:
    head = view[:4096].lstrip()
    return head.startswith(b"{") and b'"cells"' in view and b'"nbformat"' in view


def cells(view: bytes) -> Iterator[CellText]:
    """The joined texts of a notebook, or nothing when it does not parse as one."""
    try:
        document = json.loads(view)
    except (ValueError, RecursionError):
        return
    if not isinstance(document, dict) or not isinstance(document.get("cells"), list):
        return
    cursor = _Cursor(view)
    for index, cell in enumerate(document["cells"], 1):
        if not isinstance(cell, dict):
            continue
        source = _joined(cell.get("source"))
        if source:
            line = cursor.locate(cell.get("source"))
            yield CellText(f"cell {index}", source.encode("utf-8", "surrogatepass"), line)
        for number, output in enumerate(cell.get("outputs") or [], 1):
            if not isinstance(output, dict):
                continue
            texts = [output.get("text")]
            data = output.get("data")
            if isinstance(data, dict):
                texts.extend(v for k, v in data.items() if k.startswith("text/"))
            for text in texts:
                joined = _joined(text)
                if joined:
                    line = cursor.locate(text)
                    yield CellText(
                        f"cell {index} output {number}",
                        joined.encode("utf-8", "surrogatepass"),
                        line,
                    )


def _joined(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(v for v in value if isinstance(v, str))
    return ""


# How far ahead a cell's text is looked for, and how many misses in a row end the search:
# a notebook whose texts cannot be found costs a bounded amount per cell, not the file.
SEARCH_WINDOW = 1024 * 1024
MAX_MISSES = 32


class _Cursor:
    """Where the last located text was, with its line counted so far: each cell's line
    is counted on from the previous one, so a notebook of many cells is read once."""

    def __init__(self, view: bytes) -> None:
        self.view = view
        self.offset = 0
        self.line = 1
        self.misses = 0

    def locate(self, value: object) -> int:
        """The 1-based line in the raw file where `value`'s first string starts (searching
        on from the last one found, so identical cells map to their own places)."""
        first = value[0] if isinstance(value, list) and value else value
        if not isinstance(first, str) or self.misses >= MAX_MISSES:
            return self.line
        limit = self.offset + SEARCH_WINDOW
        needle = json.dumps(first).encode("utf-8")
        found = self.view.find(needle, self.offset, limit + len(needle))
        if found < 0:
            needle = json.dumps(first, ensure_ascii=False).encode("utf-8")
            found = self.view.find(needle, self.offset, limit + len(needle))
        if found < 0:
            self.misses += 1
            return self.line
        self.misses = 0
        self.line += self.view.count(b"\n", self.offset, found)
        self.offset = found
        line = self.line
        # The next search starts just past this text's start (identical cells).
        self.offset = found + 1
        return line
