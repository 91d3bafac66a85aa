"""Jupyter notebooks: each cell's `source` list joined into the code it is (so a key split
over two source lines, or over two literals on two lines, is whole again), and each
output's text joined the same way."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class CellText:
    """One cell's code or one output's text, and for each of its lines the line of the
    .ipynb file that holds it (a cell's `source` is a list of strings, one per line, each
    on a line of its own in the file)."""

    name: str  # "cell 3" or "cell 3 output 1"
    text: bytes
    lines: tuple[int, ...]

    @property
    def line(self) -> int:
        """The file's line where this text begins."""
        return self.lines[0]

    def line_of(self, inner: int | None) -> int:
        """The file's line for line `inner` (1-based) of this text."""
        if inner is None or inner < 1:
            return self.lines[0]
        return self.lines[min(inner, len(self.lines)) - 1]


def is_notebook(view: bytes) -> bool:
    """Whether the content looks like a Jupyter notebook (cheap: no parse)."""
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
        texts: list[tuple[str, object]] = [(f"cell {index}", cell.get("source"))]
        for number, output in enumerate(cell.get("outputs") or [], 1):
            if not isinstance(output, dict):
                continue
            texts.append((f"cell {index} output {number}", output.get("text")))
            data = output.get("data")
            if isinstance(data, dict):
                texts.extend(
                    (f"cell {index} output {number}", v)
                    for k, v in data.items()
                    if k.startswith("text/")
                )
        # A cell's texts are looked for from the cell's start, in any order (nbformat
        # writes `outputs` before `source`); the next cell starts after all of them.
        cell_start = cursor.offset
        ends = [cell_start]
        for name, value in texts:
            pieces = _pieces(value)
            joined = "".join(pieces)
            if not joined:
                continue
            cursor.offset = cell_start
            lines = cursor.lines_of(pieces)
            ends.append(cursor.offset)
            yield CellText(name, joined.encode("utf-8", "surrogatepass"), lines)
        cursor.offset = max(ends)


def _pieces(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


# How far ahead a text is looked for, and how many misses in a row end the search: a
# notebook whose texts cannot be found costs a bounded amount per cell, not the file.
SEARCH_WINDOW = 1024 * 1024
MAX_MISSES = 32


class _Cursor:
    """Where the search stands in the raw file, with the line counted there, so that each
    look-up counts lines on from the last one instead of from the top of the file."""

    def __init__(self, view: bytes) -> None:
        self.view = view
        self.offset = 0
        self._counted_at = 0
        self._line = 1
        self.misses = 0

    def _line_at(self, offset: int) -> int:
        if offset >= self._counted_at:
            self._line += self.view.count(b"\n", self._counted_at, offset)
        else:
            self._line -= self.view.count(b"\n", offset, self._counted_at)
        self._counted_at = offset
        return self._line

    def _find(self, piece: str) -> int:
        if self.misses >= MAX_MISSES:
            return -1
        limit = self.offset + SEARCH_WINDOW
        for ascii_only in (True, False):
            needle = json.dumps(piece, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
            found = self.view.find(needle, self.offset, limit + len(needle))
            if found >= 0:
                self.misses = 0
                return found
        self.misses += 1
        return -1

    def lines_of(self, pieces: list[str]) -> tuple[int, ...]:
        """The file's line for each line of the joined `pieces`, searching on from here:
        a line of the joined text lies in the piece where it starts."""
        lines: list[int] = []
        at_line_start = True
        last = self._line_at(self.offset)
        for piece in pieces:
            if not piece:
                continue
            found = self._find(piece)
            if found >= 0:
                last = self._line_at(found)
                self.offset = found + 1
            starts = (1 if at_line_start else 0) + piece.count("\n", 0, max(len(piece) - 1, 0))
            lines.extend([last] * starts)
            at_line_start = piece.endswith("\n")
        return tuple(lines) or (last,)
