"""What compressed data and archives start with: recognised by content, never by name.
Kept apart from the readers so that the cheap test costs no heavy import."""

from __future__ import annotations

GZIP = b"\x1f\x8b"
BZIP2 = b"BZh"
XZ = b"\xfd7zXZ\x00"
ZIP = (b"PK\x03\x04", b"PK\x05\x06")
TAR_MAGIC_OFFSET = 257
MAGICS = (GZIP, BZIP2, XZ, *ZIP)


def container_kind(view: bytes) -> str | None:
    """What kind of container `view` is, from its first bytes."""
    if view.startswith(GZIP):
        return "gzip"
    if view.startswith(BZIP2) and view[3:4].isdigit():
        return "bzip2"
    if view.startswith(XZ):
        return "xz"
    if view.startswith(ZIP):
        return "zip"
    if view[TAR_MAGIC_OFFSET : TAR_MAGIC_OFFSET + 5] == b"ustar":
        return "tar"
    return None
