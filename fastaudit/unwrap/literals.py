"""Keys split across adjacent string literals, "so the grep in CI does not see it".

A small lexer of string literals, shared by the languages that write them alike (Python,
JavaScript/TypeScript, Java, Go, Ruby, C/C++, shell, PHP, Lua): double, single and back
quotes with backslash escapes, Python's prefixes and triple quotes. Literals are joined
when only a joiner stands between them: `+`, `.`, `..`, nothing (implicit concatenation in
Python, C and shell), white space across up to a few lines, or a backslash line
continuation. A template literal's `${"…"}` pieces are literals too. Anything else
between two literals (`"fast_prod_" + suffix`) breaks the chain: only when every piece is a
literal can the joined text be a key.

No general-purpose lexer (pygments) is used: it would cost more to import than most scans
take, and this needs only literals and what lies between them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

MAX_LINES = 6  # lines one joined chain may span
MAX_PIECES = 16

_LITERAL = re.compile(
    rb"""(?P<prefix>(?:\b[rRbBuUfF]{1,2})?)(?:
        (?P<t3>\"\"\"|''')(?P<body3>(?:\\.|(?!(?P=t3)).){0,2000}?)(?P=t3)
      | (?P<q>["'`])(?P<body>(?:\\.|(?!(?P=q))[^\\\n]|(?<=`)\n){0,2000}?)(?P=q)
    )""",
    re.VERBOSE | re.DOTALL,
)
# What may stand between two pieces of one string: white space (line breaks included),
# one concatenation operator, backslash line continuations, closing/opening parentheses
# of a wrapped expression are not allowed (they would join arguments).
_JOINER = re.compile(rb"(?:[ \t]|\\\r?\n|\r?\n)*(?:(?:\+|\.\.|\.)(?:[ \t]|\\\r?\n|\r?\n)*)?")
_TEMPLATE_PIECE = re.compile(rb"""\$\{\s*(["'])((?:\\.|(?!\1).)*?)\1\s*\}""")
_INTERPOLATION = re.compile(rb"\$\{")


@dataclass(frozen=True)
class Joined:
    """The text of two or more adjacent literals, and where the first one starts."""

    start: int
    text: bytes
    pieces: int
    first_length: int  # characters the first literal contributes


def may_hold_split(view: bytes, heads: tuple[bytes, ...]) -> bool:
    """A literal opening with the start of a prefix: the only place a split key begins."""
    return any(q + head in view for head in heads for q in (b'"', b"'", b"`"))


def joined_literals(view: bytes, heads: tuple[bytes, ...]) -> Iterator[Joined]:
    """Chains of two or more adjacent literals whose first piece opens with a prefix's
    start (`heads`, e.g. `fast`)."""
    for head in heads:
        for quote in (b'"', b"'", b"`"):
            position = view.find(quote + head)
            while position >= 0:
                chain = _chain_from(view, position)
                if chain is not None:
                    yield chain
                position = view.find(quote + head, position + 1)


def _chain_from(view: bytes, position: int) -> Joined | None:
    # Step back over a string prefix (r"", b'', f"") so the literal matches whole.
    start = position
    while start > 0 and view[start - 1 : start] in (b"r", b"R", b"b", b"B", b"u", b"U", b"f"):
        start -= 1
    match = _LITERAL.match(view, start)
    if match is None or match.end() <= position:
        return None
    pieces = [_body(match)]
    if pieces[0] is None:
        return None
    end = match.end()
    # Lines are counted from the chain's own start (never from the top of the file, which
    # made a file of many chains quadratic).
    lines = view.count(b"\n", position, end)
    while len(pieces) < MAX_PIECES:
        joiner = _JOINER.match(view, end)
        assert joiner is not None  # the joiner may be empty
        following = _LITERAL.match(view, joiner.end())
        if following is None:
            break
        lines += view.count(b"\n", end, following.start())
        if lines >= MAX_LINES:
            break
        lines += view.count(b"\n", following.start(), following.end())
        body = _body(following)
        if body is None:
            break
        pieces.append(body)
        end = following.end()
    if len(pieces) < 2 and not _has_template_pieces(match):
        return None
    first = pieces[0] or b""
    if match.group("q") == b"`":  # a template's own ${"…"} pieces are joins too
        first = (match.group("body") or b"").split(b"${", 1)[0]
    return Joined(position, b"".join(p for p in pieces if p is not None), len(pieces), len(first))


def _has_template_pieces(match: re.Match[bytes]) -> bool:
    return match.group("q") == b"`" and b"${" in (match.group("body") or b"")


def _body(match: re.Match[bytes]) -> bytes | None:
    """A literal's text; a template literal's `${"…"}` pieces inlined, and None when it
    interpolates anything that is not itself a literal."""
    body = match.group("body3") if match.group("t3") else match.group("body")
    if body is None:
        return None
    if match.group("q") == b"`":
        body = _TEMPLATE_PIECE.sub(lambda m: m.group(2), body)
        if _INTERPOLATION.search(body):
            return None
    return body
