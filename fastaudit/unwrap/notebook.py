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
    cursor = 0
    for index, cell in enumerate(document["cells"], 1):
        if not isinstance(cell, dict):
            continue
        source = _joined(cell.get("source"))
        if source:
            line, cursor = _locate(view, cell.get("source"), cursor)
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
                    line, cursor = _locate(view, text, cursor)
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


def _locate(view: bytes, value: object, cursor: int) -> tuple[int, int]:
    """The 1-based line in the raw file where `value`'s first string starts (searching
    on from `cursor`, so identical cells map to their own places)."""
    first = value[0] if isinstance(value, list) and value else value
    if not isinstance(first, str):
        return view.count(b"\n", 0, cursor) + 1, cursor
    needle = json.dumps(first).encode("utf-8")
    found = view.find(needle, cursor)
    if found < 0:
        needle = json.dumps(first, ensure_ascii=False).encode("utf-8")
        found = view.find(needle, cursor)
    if found < 0:
        return view.count(b"\n", 0, cursor) + 1, cursor
    return view.count(b"\n", 0, found) + 1, found + 1
