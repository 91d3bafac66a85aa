"""Keys in disguise: encoded, compressed, archived, split across string literals, or in
a Jupyter notebook's cells.

A source-side concern, as DESIGN.md draws it: this package turns bytes into *views*
(decoded runs, archive members, joined literals), each knowing where it sits in the file
on disk, and hands every view to the same detector a plain file gets. Detection never
learns where a string came from; the finding records it (`decoded`, `member`,
`inner_line`).

The work is paid only around a candidate: `may_hide_keys` is a handful of literal
searches (the encoded forms of each prefix at every base64 alignment, hex, character
escapes, the magic bytes of compressed data, a quote before the prefix), so a file with
none costs what it cost before. Everything past that is bounded by `UnwrapLimits`
(depth, bytes per member and per file, entries, compression ratio, time), and each limit
that is hit becomes a warning naming the file and the limit; nothing is ever extracted to
disk.
"""

from __future__ import annotations

from fastaudit.limits import UnwrapLimits

__all__ = ["UnwrapLimits"]  # the walk itself: fastaudit.unwrap.views
