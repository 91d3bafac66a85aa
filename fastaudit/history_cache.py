"""Which git objects a history scan has already read, so the next scan reads only new ones.

A repository's objects never change: an id names the same bytes forever. So the cache is
the sorted list of object ids present at the last scan, plus the ids of the few objects
that held a key (those are read again every time, because the cache must not hold what
was found: it stores no key material at all, not even a fingerprint). A scan under
different key settings or detection rules ignores the cache (see `KeySpec.cache_id`).

It lives in the repository's git directory (`fastaudit/history-cache`), or in the user
cache directory when that is not writable.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FORMAT = 1
NAME = "history-cache"


@dataclass
class ObjectCache:
    """Object ids seen at the last scan (sorted, newline-separated) and ids with hits."""

    spec_id: str
    object_ids: bytes
    hit_ids: list[str]
    # Where the hit objects were introduced (commits, paths, refs: no key material),
    # keyed by a digest of every ref's value, so it is reused only while nothing moved.
    attribution: dict[str, Any] = field(default_factory=dict)

    def new_ids(self, current: bytes) -> list[str]:
        """Ids in `current` (sorted like `object_ids`) that the cache has not seen."""
        if current == self.object_ids:
            return []
        old = self.object_ids.split()
        fresh: list[str] = []
        index, count = 0, len(old)
        for oid in current.split():
            while index < count and old[index] < oid:
                index += 1
            if index < count and old[index] == oid:
                continue
            fresh.append(oid.decode("ascii"))
        return fresh


def _locations(common_dir: Path) -> list[Path]:
    places = [common_dir / "fastaudit" / NAME]
    try:
        from platformdirs import user_cache_dir

        digest = hashlib.sha256(str(common_dir.resolve()).encode()).hexdigest()[:24]
        places.append(Path(user_cache_dir("fastaudit")) / "history" / digest)
    except ImportError:  # pragma: no cover - platformdirs is a dependency
        pass
    return places


def load(common_dir: Path, spec_id: str) -> ObjectCache | None:
    """The cache for this repository and key settings, or None (missing, stale, unreadable)."""
    for place in _locations(common_dir):
        try:
            raw = place.read_bytes()
        except OSError:
            continue
        header, _, ids = raw.partition(b"\n")
        try:
            meta = json.loads(header)
        except ValueError:
            continue
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            continue
        if meta.get("spec") != spec_id:
            continue
        hits = meta.get("hits", [])
        if not isinstance(hits, list) or not all(isinstance(h, str) for h in hits):
            continue
        attribution = meta.get("attribution", {})
        if not isinstance(attribution, dict):
            attribution = {}
        return ObjectCache(spec_id, ids, hits, attribution)
    return None


def save(common_dir: Path, cache: ObjectCache) -> Path | None:
    """Write the cache atomically where possible; None when no location is writable."""
    from fastaudit.sanitize import for_disk

    header = json.dumps(
        {
            "format": FORMAT,
            "spec": cache.spec_id,
            "hits": cache.hit_ids,
            "attribution": for_disk(cache.attribution),
        },
        ensure_ascii=True,
    )
    payload = header.encode("ascii") + b"\n" + cache.object_ids
    for place in _locations(common_dir):
        try:
            place.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{NAME}.", dir=place.parent)
        except OSError:
            continue
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(payload)
            os.replace(tmp, place)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            continue
        return place
    return None
