"""Compressed streams and archives, recognised by their magic bytes (never by name), read
in memory within the file's budget. Nothing is extracted to disk: a member named
`../../x` is only a name.

`open_container` yields (member name or None, member bytes) pairs; a member name of None
means a compressed stream (gzip, bzip2, xz) whose content is the whole view.
"""

from __future__ import annotations

import bz2
import io
import lzma
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from typing import Any

from fastaudit.limits import Budget
from fastaudit.unwrap.magic import MAGICS, container_kind

_PIECE = 1024 * 1024


def open_container(
    kind: str, view: bytes, budget: Budget, where: str
) -> Iterator[tuple[str | None, bytes]]:
    """The members (or the decompressed stream) of a container, each within the budget."""
    if kind in ("gzip", "bzip2", "xz"):
        data = _decompress(kind, view, budget, where)
        if data is not None:
            yield None, data
    elif kind == "zip":
        yield from _zip_members(view, budget, where)
    elif kind == "tar":
        yield from _tar_members(view, budget, where)


class _Stream:
    """One compressed member, decompressed in bounded pieces (gzip, bzip2 or xz)."""

    def __init__(self, kind: str, data: bytes) -> None:
        self.kind = kind
        self.pending = data
        self.obj: Any
        if kind == "gzip":
            self.obj = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif kind == "bzip2":
            self.obj = bz2.BZ2Decompressor()
        else:
            self.obj = lzma.LZMADecompressor()

    def next_piece(self, limit: int) -> bytes:
        if self.kind == "gzip":
            piece: bytes = self.obj.decompress(self.pending, limit)
            self.pending = self.obj.unconsumed_tail
            return piece
        data, self.pending = self.pending, b""
        out: bytes = self.obj.decompress(data, max_length=limit)
        return out

    @property
    def eof(self) -> bool:
        return bool(self.obj.eof)

    @property
    def starved(self) -> bool:
        """No more input, and the stream has not ended: truncated."""
        if self.kind == "gzip":
            return not self.pending
        return bool(self.obj.needs_input)

    @property
    def unused(self) -> bytes:
        return bytes(self.obj.unused_data)


def _decompress(kind: str, view: bytes, budget: Budget, where: str) -> bytes | None:
    """A compressed stream's content, stopped at the member size, total size or ratio
    limit (a bomb ends in a warning, with what was read so far still scanned). gzip and
    bzip2 streams of several members are read through."""
    allowance = budget.allowance()
    ratio_cap = int(len(view) * budget.limits.max_ratio) + _PIECE
    out = bytearray()
    remaining = view
    while remaining:
        stream = _Stream(kind, remaining)
        try:
            while not stream.eof:
                budget.check_time(where)
                room = min(allowance - len(out), ratio_cap - len(out), _PIECE)
                if room <= 0:
                    _limit_warning(budget, where, kind, allowance, ratio_cap, len(out))
                    return bytes(out)
                piece = stream.next_piece(room)
                out += piece
                budget.produce(len(piece))
                if not piece and stream.starved:
                    budget.warn(where, f"{kind} data is truncated; what was readable was scanned")
                    return bytes(out)
        except (OSError, EOFError, zlib.error, lzma.LZMAError, ValueError):
            budget.warn(where, f"{kind} data is corrupt; what was readable was scanned")
            return bytes(out)
        remaining = stream.unused
        if container_kind(remaining) != kind:
            break  # trailing bytes that are not another member of the same stream
    return bytes(out)


def _limit_warning(
    budget: Budget, where: str, kind: str, allowance: int, ratio_cap: int, produced: int
) -> None:
    if produced >= ratio_cap:
        budget.warn(
            where,
            f"{kind} expands more than {budget.limits.max_ratio:g}:1 (unwrap_max_ratio): a "
            "decompression bomb? Stopped there; what was read was scanned",
        )
    elif allowance >= budget.limits.max_member_bytes:
        budget.warn(
            where,
            f"{kind} content over {budget.limits.max_member_bytes} bytes "
            "(unwrap_max_member_bytes); stopped there, what was read was scanned",
        )
    else:
        budget.warn(
            where,
            f"more than {budget.limits.max_total_bytes} bytes unpacked from this file "
            "(unwrap_max_total_bytes); stopped there",
        )


def _zip_members(view: bytes, budget: Budget, where: str) -> Iterator[tuple[str | None, bytes]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(view))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        budget.warn(where, "zip directory is corrupt; the archive's members were not read")
        return
    for info in infos:
        if info.is_dir():
            continue
        if not _count_entry(budget, where):
            return
        budget.check_time(where)
        allowance = budget.allowance()
        if info.file_size > allowance or (
            info.compress_size and info.file_size > info.compress_size * budget.limits.max_ratio
        ):
            _limit_warning(
                budget,
                f"{where}!{info.filename}",
                "zip member",
                allowance,
                int(info.compress_size * budget.limits.max_ratio),
                info.file_size,
            )
            continue
        try:
            with archive.open(info) as member:
                data = member.read(allowance + 1)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError,
                RuntimeError, zlib.error, lzma.LZMAError):  # fmt: skip
            budget.warn(f"{where}!{info.filename}", "zip member is corrupt or encrypted")
            continue
        data = data[:allowance]
        budget.produce(len(data))
        yield info.filename, data


def _tar_members(view: bytes, budget: Budget, where: str) -> Iterator[tuple[str | None, bytes]]:
    try:
        archive = tarfile.open(fileobj=io.BytesIO(view), mode="r:")  # noqa: SIM115
    except (tarfile.TarError, OSError, ValueError, EOFError):
        budget.warn(where, "tar header is corrupt; the archive's members were not read")
        return
    with archive:
        while True:
            try:
                info = archive.next()
            except (tarfile.TarError, OSError, ValueError, EOFError):
                budget.warn(where, "tar archive is truncated or corrupt; later members not read")
                return
            if info is None:
                return
            if not info.isfile():
                continue
            if not _count_entry(budget, where):
                return
            budget.check_time(where)
            allowance = budget.allowance()
            member = archive.extractfile(info)
            if member is None:
                continue
            try:
                data = member.read(min(info.size, allowance))
            except (tarfile.TarError, OSError, ValueError, EOFError):
                budget.warn(f"{where}!{info.name}", "tar member is truncated")
                continue
            if info.size > allowance:
                _limit_warning(
                    budget, f"{where}!{info.name}", "tar member", allowance, 1 << 62, info.size
                )
            budget.produce(len(data))
            yield info.name, data


def _count_entry(budget: Budget, where: str) -> bool:
    budget.entries += 1
    if budget.entries > budget.limits.max_entries:
        budget.warn(
            where,
            f"more than {budget.limits.max_entries} archive entries (unwrap_max_entries); "
            "the rest were not read",
        )
        return False
    return True


__all__ = ["MAGICS", "container_kind", "open_container"]
