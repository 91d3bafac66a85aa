"""Git's object database as a source, as the history scan reads it: the stream of every
object (`gitstream`), stepping over what a damaged repository cannot hand over
(`gitsalvage`), what a repository is (`gitinspect`), which commit introduced an object
(`gitintroductions`) and which refs hold it (`gitrefs`). This module puts the stream and
its salvage together and is the one import the history scan needs."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from fastaudit.sources.gitinspect import (
    RepoInfo,
    all_object_ids,
    head_tree,
    inspect,
    quarantine_object_ids,
    rev_list_objects,
    shallow_boundary,
    unreachable_commits,
)
from fastaudit.sources.gitintroductions import Introduction, commit_metadata, introductions
from fastaudit.sources.gitrefs import (
    CommitGraph,
    RefEntry,
    commit_graph,
    ref_listing,
    ref_state,
    refs_by_object,
    refs_containing_many,
)
from fastaudit.sources.gitsalvage import damaged_packs, pack_object_ids, salvage
from fastaudit.sources.gitstream import (
    LARGE_OBJECT,
    Gate,
    ObjectHit,
    Search,
    StreamStats,
    read_object_chunks,
    stream_once,
)

__all__ = [
    "LARGE_OBJECT",
    "CommitGraph",
    "Gate",
    "Introduction",
    "ObjectHit",
    "RefEntry",
    "RepoInfo",
    "Search",
    "StreamStats",
    "all_object_ids",
    "commit_graph",
    "commit_metadata",
    "damaged_packs",
    "head_tree",
    "inspect",
    "introductions",
    "pack_object_ids",
    "quarantine_object_ids",
    "read_object_chunks",
    "ref_listing",
    "ref_state",
    "refs_by_object",
    "refs_containing_many",
    "rev_list_objects",
    "shallow_boundary",
    "stream_objects",
    "unreachable_commits",
]


def stream_objects(
    repo: RepoInfo,
    needles: Sequence[bytes],
    *,
    ids: Sequence[str] | None = None,
    stats: StreamStats,
    on_progress: Callable[[StreamStats], None] | None = None,
    magics: tuple[bytes, ...] = (),
    gate: Gate | None = None,
) -> Iterator[ObjectHit]:
    """Objects of kind blob, commit or tag that hold any of `needles` (or blobs that
    start with one of `magics`: compressed data and archives).

    With `ids` None, every object in the repository in pack order; otherwise those ids.
    Git stops at the first object it cannot read; when that happens, everything is read
    again in a way that steps over each unreadable object (and salvages what a damaged
    pack still holds), so one bad object never hides the keys in the others. The ids git
    could not read end up in `stats.unreadable`.
    """
    yielded: set[str] = set()
    search = Search(tuple(needles), magics, gate)
    for hit in stream_once(repo, search, ids, stats, on_progress):
        yielded.add(hit.oid)
        yield hit
    if stats.truncated is None:
        return
    for hit in salvage(repo, search, ids, stats):
        if hit.oid not in yielded:
            yielded.add(hit.oid)
            yield hit
