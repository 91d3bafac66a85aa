"""Counting words for messages people read: "1 run", "2 runs", "1 repository"."""

from __future__ import annotations


def plural(count: int, singular: str, many: str | None = None) -> str:
    """`count` and the noun in the number it needs (`many` when the plural is irregular)."""
    if count == 1:
        return f"{count} {singular}"
    if many is None:
        irregular_y = singular.endswith("y") and singular[-2:-1] not in "aeiou"
        many = singular[:-1] + "ies" if irregular_y else singular + "s"
    return f"{count} {many}"
