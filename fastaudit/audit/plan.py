"""The audit's plan: paths, `--repos-file` lines and clone URLs turned into targets, each
with a name of its own (journals, caches and the merge are keyed by it)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from fastaudit.errors import InputError
from fastaudit.sources.mirrors import RepoTarget, check_entry, is_clone_url

# --- plan --------------------------------------------------------------------------------


def read_repos_file(path: Path) -> list[str]:
    """Non-empty, non-comment lines; relative paths are relative to the file."""
    from fastaudit import jsonio

    base = path.resolve().parent
    entries = []
    for number, raw in enumerate(jsonio.read_text(path, "repos file").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if "\0" in line:
            raise InputError(f"{path}: line {number} holds a NUL byte")
        check_entry(line)
        if is_clone_url(line):
            entries.append(line)
        else:
            local = Path(line).expanduser()
            entries.append(str(local if local.is_absolute() else base / local))
    return entries


def plan(entries: Sequence[str]) -> list[RepoTarget]:
    """Targets with short, unique names: the directory or repository name, with parents
    added where names clash. Duplicates (the same path or URL twice) are audited once."""
    from fastaudit.http import display_url

    unique = [check_entry(e) for e in dict.fromkeys(entries)]
    located: list[tuple[str, bool, tuple[str, ...]]] = []
    for entry in unique:
        if is_clone_url(entry):
            shown = display_url(entry)
            located.append((shown, True, name_parts(shown)))
        else:
            resolved = Path(entry).resolve()
            located.append((str(resolved), False, name_parts(str(resolved))))
    names = [parts[-1] if parts else shown for shown, _, parts in located]
    longest = max((len(parts) for _, _, parts in located), default=0)
    for depth in range(2, longest + 1):
        counts = Counter(names)
        clashes = {n for n, c in counts.items() if c > 1}
        if not clashes:
            break
        names = [
            "/".join(parts[-depth:]) if name in clashes else name
            for (_, _, parts), name in zip(located, names, strict=True)
        ]
    names = _unique(names, unique)
    return [
        RepoTarget(name, shown, is_url, entry if is_url else None)
        for (shown, is_url, _), name, entry in zip(located, names, unique, strict=True)
    ]


def name_parts(location: str) -> tuple[str, ...]:
    """The parts a repository's name is made of, last part first in importance: the
    path's components without its root, or a URL's host and path without its scheme or
    user, `.git` dropped. One rule for every way a repository is named (a path on the
    command line or in `--repos-file`, a file://, https:// or scp-style URL), so
    `/srv/git/repo`, `file:///srv/git/repo` and `git@host:srv/git/repo.git` are all
    `repo`, and gain parents (`git/repo`) only where two names clash."""
    text = location
    scheme, sep, rest = text.partition("://")
    if sep and scheme and "/" not in scheme:
        text = rest
    elif ":" in text and not text.startswith("/") and "@" in text.partition(":")[0]:
        text = text.replace(":", "/", 1)  # user@host:path
    parts = [p for p in text.replace("\\", "/").split("/") if p and p not in (".", "..")]
    if parts and "@" in parts[0]:
        parts[0] = parts[0].rpartition("@")[2]
    if parts and parts[-1].endswith(".git") and len(parts[-1]) > 4:
        parts[-1] = parts[-1][:-4]
    return tuple(parts)


def _unique(names: list[str], entries: list[str]) -> list[str]:
    """Names that are still shared once every part of the path is shown (`p:q` and `p/q`
    as URLs, a path and a name that reads like it) get a short digest of the entry they
    stand for: every target has a name of its own, by construction, and the same entry
    gets the same name on every run (journals and caches are keyed by it)."""
    import hashlib

    counts = Counter(names)
    out = [
        f"{name}~{hashlib.sha256(entry.encode('utf-8', 'surrogateescape')).hexdigest()[:10]}"
        if counts[name] > 1
        else name
        for name, entry in zip(names, entries, strict=True)
    ]
    if len(set(out)) != len(out):  # a digest collision, or a name that looks like one
        out = [f"{name}~{index}" for index, name in enumerate(out)]
    return out
