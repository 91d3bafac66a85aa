"""`fastaudit history` on real repositories built for each scenario.

Every test asserts the commit, path, line and in_head of every finding, and that nothing
else is reported.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from fastaudit.errors import InputError
from tests.conftest import Repo, git

Row = tuple[str, str, int, str | None, bool]


def history(run_cli: Any, path: Path, *args: str) -> tuple[list[Row], Any]:
    result = run_cli("history", str(path), "--format", "json", "--no-cache", *args)
    assert result.code in (0, 1), result.err
    document = result.json()
    rows = sorted(
        (f["rule_id"], f["path"], f["line"], f.get("commit"), f["in_head"])
        for f in document["findings"]
    )
    return rows, document


def test_key_added_then_deleted_is_fast002_at_the_commit_that_added_it(
    repo: Repo, make_key: Any, run_cli: Any
) -> None:
    key = make_key()
    repo.write("README.md", "hello\n")
    repo.commit("init", date="2026-01-01T00:00:00+00:00")
    repo.write("config/prod.env", f"# settings\nFAST_API_KEY={key}\n")
    added = repo.commit("add config", date="2026-01-02T00:00:00+00:00")
    (repo.path / "config/prod.env").unlink()
    repo.commit("remove the key", date="2026-01-03T00:00:00+00:00")

    rows, document = history(run_cli, repo.path)

    assert rows == [("FAST002", "config/prod.env", 2, added, False)]
    finding = document["findings"][0]
    assert finding["author_email"] == "author@example.com"
    assert finding["date"].startswith("2026-01-02")
    assert finding["refs"] == ["refs/heads/main"]
    assert key not in repr(document)


def test_key_still_in_head_is_fast001(repo: Repo, make_key: Any, run_cli: Any) -> None:
    key = make_key()
    repo.write("app.py", f'KEY = "{key}"\n')
    first = repo.commit("add", date="2026-01-01T00:00:00+00:00")
    repo.write("other.txt", "unrelated\n")
    repo.commit("more", date="2026-01-02T00:00:00+00:00")

    rows, _ = history(run_cli, repo.path)

    assert rows == [("FAST001", "app.py", 1, first, True)]


def test_same_key_on_several_paths_is_one_secret_with_many_locations(
    repo: Repo, make_key: Any, run_cli: Any
) -> None:
    key = make_key()
    repo.write("a.env", f"KEY={key}\n")
    first = repo.commit("a", date="2026-01-01T00:00:00+00:00")
    repo.write("deploy/b.yaml", f"env:\n  key: {key}\n")
    second = repo.commit("b", date="2026-01-02T00:00:00+00:00")

    rows, document = history(run_cli, repo.path)

    assert rows == [
        ("FAST001", "a.env", 1, first, True),
        ("FAST001", "deploy/b.yaml", 2, second, True),
    ]
    assert len(document["secrets"]) == 1
    secret = document["secrets"][0]
    assert secret["in_head"] is True
    assert sorted(loc["path"] for loc in secret["locations"]) == ["a.env", "deploy/b.yaml"]
    assert document["stats"]["objects_with_keys"] == 2


def test_key_only_on_a_tag(repo: Repo, make_key: Any, run_cli: Any) -> None:
    key = make_key()
    repo.write("README.md", "hello\n")
    repo.commit("init", date="2026-01-01T00:00:00+00:00")
    repo.git("checkout", "-q", "-b", "release")
    repo.write("release.cfg", f"key = {key}\n")
    tagged = repo.commit("release config", date="2026-01-02T00:00:00+00:00")
    repo.git("tag", "-a", "v1.0", "-m", "release 1.0")
    repo.git("checkout", "-q", "main")
    repo.git("branch", "-q", "-D", "release")

    rows, document = history(run_cli, repo.path)

    assert rows == [("FAST002", "release.cfg", 1, tagged, False)]
    assert document["findings"][0]["refs"] == ["refs/tags/v1.0"]


def test_deleted_branch_needs_all_objects(repo: Repo, make_key: Any, run_cli: Any) -> None:
    key = make_key()
    repo.write("README.md", "hello\n")
    repo.commit("init", date="2026-01-01T00:00:00+00:00")
    repo.git("checkout", "-q", "-b", "experiment")
    repo.write("notes/token.txt", f"{key}\n")
    lost = repo.commit("try the key", date="2026-01-02T00:00:00+00:00")
    repo.git("checkout", "-q", "main")
    repo.git("branch", "-q", "-D", "experiment")

    rows, document = history(run_cli, repo.path)
    assert rows == []
    assert any("--all-objects" in w for w in document["warnings"])

    rows, document = history(run_cli, repo.path, "--all-objects")
    assert rows == [("FAST002", "notes/token.txt", 1, lost, False)]
    assert document["findings"][0]["refs"] == []
    assert document["findings"][0]["evidence"]["unreachable"] is True


def test_amended_commit_leaves_the_key_in_an_unreachable_object(
    repo: Repo, make_key: Any, run_cli: Any
) -> None:
    key = make_key()
    repo.write("settings.py", f'API_KEY = "{key}"\n')
    original = repo.commit("settings", date="2026-01-01T00:00:00+00:00")
    repo.write("settings.py", 'API_KEY = os.environ["FAST_API_KEY"]\n')
    repo.git("add", "-A")
    repo.git("commit", "-q", "--amend", "-m", "settings (no key)")

    assert history(run_cli, repo.path)[0] == []
    rows, _ = history(run_cli, repo.path, "--all-objects")
    assert rows == [("FAST002", "settings.py", 1, original, False)]


def test_key_merged_from_a_side_branch_is_attributed_to_the_side_commit(
    repo: Repo, make_key: Any, run_cli: Any
) -> None:
    key = make_key()
    repo.write("README.md", "hello\n")
    repo.commit("init", date="2026-01-01T00:00:00+00:00")
    repo.git("checkout", "-q", "-b", "feature")
    repo.write("feature.py", f'KEY = "{key}"\n')
    side = repo.commit("feature", date="2026-01-02T00:00:00+00:00")
    repo.git("checkout", "-q", "main")
    repo.write("main.txt", "main work\n")
    repo.commit("main work", date="2026-01-03T00:00:00+00:00")
    repo.git(
        "merge",
        "-q",
        "--no-ff",
        "feature",
        "-m",
        "merge feature",
        env={
            "GIT_COMMITTER_DATE": "2026-01-04T00:00:00+00:00",
            "GIT_AUTHOR_DATE": "2026-01-04T00:00:00+00:00",
        },
    )

    rows, document = history(run_cli, repo.path)

    assert rows == [("FAST001", "feature.py", 1, side, True)]
    assert document["findings"][0]["refs"] == ["refs/heads/feature", "refs/heads/main"]


def test_key_introduced_by_a_conflict_resolution_is_attributed_to_the_merge(
    repo: Repo, make_key: Any, run_cli: Any
) -> None:
    key = make_key()
    repo.write("config.ini", "[api]\nkey = none\n")
    repo.commit("init", date="2026-01-01T00:00:00+00:00")
    repo.git("checkout", "-q", "-b", "other")
    repo.write("config.ini", "[api]\nkey = from-other\n")
    repo.commit("other", date="2026-01-02T00:00:00+00:00")
    repo.git("checkout", "-q", "main")
    repo.write("config.ini", "[api]\nkey = from-main\n")
    repo.commit("main", date="2026-01-03T00:00:00+00:00")
    result = subprocess.run(["git", "merge", "-q", "other"], cwd=repo.path, capture_output=True)
    assert result.returncode != 0  # a real conflict
    repo.write("config.ini", f"[api]\nkey = {key}\n")
    merge = repo.commit(
        "merge other, resolving with the real key", date="2026-01-04T00:00:00+00:00"
    )

    rows, _ = history(run_cli, repo.path)

    assert rows == [("FAST001", "config.ini", 2, merge, True)]
    patch = git(repo.path, "log", "-p", "--all")
    assert key not in patch  # what `git log -p` alone would have missed


def test_renamed_file_reports_both_paths(repo: Repo, make_key: Any, run_cli: Any) -> None:
    key = make_key()
    repo.write("old/name.env", f"\n\nKEY={key}\n")
    first = repo.commit("add", date="2026-01-01T00:00:00+00:00")
    (repo.path / "new").mkdir()
    repo.git("mv", "old/name.env", "new/name.env")
    renamed = repo.commit("rename", date="2026-01-02T00:00:00+00:00")

    rows, _ = history(run_cli, repo.path)

    assert rows == [
        ("FAST001", "new/name.env", 3, renamed, True),
        ("FAST001", "old/name.env", 3, first, True),
    ]


def test_key_in_a_commit_message(repo: Repo, make_key: Any, run_cli: Any) -> None:
    key = make_key()
    repo.write("a.txt", "a\n")
    commit = repo.commit(f"debugging with {key}", date="2026-01-01T00:00:00+00:00")

    rows, _ = history(run_cli, repo.path)

    assert rows == [("FAST002", "(commit message)", 5, commit, False)]


def test_since_narrows_to_what_a_branch_adds(repo: Repo, make_key: Any, run_cli: Any) -> None:
    old_key, new_key = make_key(), make_key()
    repo.write("old.env", f"KEY={old_key}\n")
    repo.commit("old", date="2026-01-01T00:00:00+00:00")
    repo.git("checkout", "-q", "-b", "pr")
    repo.write("new.env", f"KEY={new_key}\n")
    added = repo.commit("new", date="2026-01-02T00:00:00+00:00")

    rows, document = history(run_cli, repo.path, "--since", "main", "--branch", "pr")
    assert rows == [("FAST001", "new.env", 1, added, True)]
    assert document["stats"]["objects_scanned"] < 6

    bad = run_cli("history", str(repo.path), "--since", "no-such-branch")
    assert bad.code == 2
    assert "no-such-branch" in bad.err and "Traceback" not in bad.err


def test_bare_and_shallow_clones(repo: Repo, make_key: Any, run_cli: Any, tmp_path: Path) -> None:
    key = make_key()
    repo.write("a.env", f"KEY={key}\n")
    first = repo.commit("a", date="2026-01-01T00:00:00+00:00")
    (repo.path / "a.env").unlink()
    repo.write("b.txt", "b\n")
    repo.commit("b", date="2026-01-02T00:00:00+00:00")

    bare = tmp_path / "bare.git"
    git(tmp_path, "clone", "-q", "--bare", str(repo.path), str(bare))
    rows, document = history(run_cli, bare)
    assert rows == [("FAST002", "a.env", 1, first, False)]
    assert document["stats"]["bare"] is True

    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{repo.path}", str(shallow))
    rows, document = history(run_cli, shallow)
    assert rows == []  # the key's commit is behind the shallow boundary
    assert any(w.startswith("shallow clone") for w in document["warnings"])


def test_submodules_and_lfs_pointers_are_noted(
    repo: Repo, make_key: Any, run_cli: Any, tmp_path: Path
) -> None:
    sub = Repo(tmp_path / "sub")
    sub.path.mkdir()
    git(sub.path, "init", "-q", "-b", "main")
    sub.write("x", "x\n")
    sub.commit("x")
    repo.write(
        "big.bin",
        "version https://git-lfs.github.com/spec/v1\noid sha256:" + "ab" * 32 + "\nsize 123\n",
    )
    repo.commit("lfs pointer")
    repo.git(
        "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(sub.path), "vendor/sub"
    )
    repo.commit("submodule")

    rows, document = history(run_cli, repo.path)

    assert rows == []
    assert any("submodule" in w and "vendor/sub" in w for w in document["warnings"])
    assert any("LFS" in w for w in document["warnings"])


def test_corrupt_object_is_a_warning_and_other_findings_survive(
    repo: Repo, make_key: Any, run_cli: Any
) -> None:
    key = make_key()
    repo.write("good.env", f"KEY={key}\n")
    repo.write("victim.txt", "this object will be corrupted\n")
    first = repo.commit("two files", date="2026-01-01T00:00:00+00:00")
    oid = repo.git("rev-parse", "HEAD:victim.txt").strip()
    loose = repo.path / ".git" / "objects" / oid[:2] / oid[2:]
    loose.chmod(0o644)
    loose.write_bytes(b"not zlib at all")

    rows, document = history(run_cli, repo.path)

    assert rows == [("FAST001", "good.env", 1, first, True)]
    assert any("could not read" in w or "missing" in w for w in document["warnings"])


def test_large_blobs_are_streamed_and_the_stream_goes_on_after_them(
    repo: Repo, make_key: Any, run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastaudit.sources import gitstream

    monkeypatch.setattr(gitstream, "LARGE_OBJECT", 4096)  # make "large" cheap to build
    key, small_key = make_key(), make_key()
    filler = b"x" * 70_000 + b"\n"
    repo.write("data.bin", filler * 3 + f"token={key}\n".encode() + filler)
    repo.write("clean.bin", filler * 2)  # large and clean
    for index in range(20):
        repo.write(f"small/{index}.txt", f"value {index}\n")
    repo.write("small/key.env", f"KEY={small_key}\n")
    first = repo.commit("big and small", date="2026-01-01T00:00:00+00:00")

    rows, document = history(run_cli, repo.path)

    assert rows == [
        ("FAST001", "data.bin", 4, first, True),
        ("FAST001", "small/key.env", 1, first, True),
    ]
    assert document["warnings"] == []
    assert document["stats"]["objects_scanned"] == document["stats"]["objects_total"]


def test_cache_makes_a_second_scan_read_only_new_objects(
    repo: Repo, make_key: Any, run_cli: Any
) -> None:
    key, later_key = make_key(), make_key()
    for index in range(30):
        repo.write(f"src/m{index}.py", f"VALUE = {index}\n")
    repo.write("a.env", f"KEY={key}\n")
    first = repo.commit("many files", date="2026-01-01T00:00:00+00:00")

    cold = run_cli("history", str(repo.path), "--format", "json").json()
    warm = run_cli("history", str(repo.path), "--format", "json").json()
    assert cold["findings"] == warm["findings"]
    assert [(f["path"], f["commit"]) for f in warm["findings"]] == [("a.env", first)]
    assert cold["stats"]["objects_scanned"] >= 33
    assert warm["stats"]["objects_scanned"] == 1  # only the object that held the key
    cache_file = Path(warm["stats"]["cache"])
    cache_bytes = cache_file.read_bytes()
    assert key.encode() not in cache_bytes
    assert warm["findings"][0]["secret_sha256"].encode() not in cache_bytes

    repo.write("b.env", f"KEY={later_key}\n")
    second = repo.commit("another", date="2026-01-02T00:00:00+00:00")
    third = run_cli("history", str(repo.path), "--format", "json").json()
    assert sorted((f["path"], f["commit"]) for f in third["findings"]) == [
        ("a.env", first),
        ("b.env", second),
    ]
    assert third["stats"]["objects_scanned"] <= 4  # new blob, tree, commit + old hit


def test_not_a_repository_is_a_one_line_error(run_cli: Any, tmp_path: Path) -> None:
    result = run_cli("history", str(tmp_path))
    assert result.code == 2
    assert result.err.count("\n") == 1 and "Traceback" not in result.err


def test_text_view_shows_one_entry_per_secret(repo: Repo, make_key: Any, run_cli: Any) -> None:
    key = make_key()
    repo.write("a.env", f"KEY={key}\n")
    repo.write("b.env", f"KEY={key}\n")
    repo.commit("two", date="2026-01-01T00:00:00+00:00")

    result = run_cli("history", str(repo.path), "--no-cache")

    assert result.code == 1
    assert result.out.count("FAST001") == 1 + result.out.count("FAST001:")
    assert "a.env:1" in result.out and "b.env:1" in result.out
    assert key not in result.out


def test_cached_attribution_follows_ref_changes(repo: Repo, make_key: Any, run_cli: Any) -> None:
    key = make_key()
    repo.write("README.md", "hello\n")
    repo.commit("init", date="2026-01-01T00:00:00+00:00")
    repo.git("checkout", "-q", "-b", "side")
    repo.write("side.env", f"KEY={key}\n")
    side = repo.commit("side", date="2026-01-02T00:00:00+00:00")
    repo.git("checkout", "-q", "main")

    def scan() -> Any:
        return run_cli("history", str(repo.path), "--format", "json").json()

    assert [(f["commit"], f["refs"]) for f in scan()["findings"]] == [(side, ["refs/heads/side"])]
    warm = scan()
    assert warm["stats"]["objects_scanned"] == 1
    assert [(f["commit"], f["refs"]) for f in warm["findings"]] == [(side, ["refs/heads/side"])]
    repo.git("tag", "kept", side)
    assert [f["refs"] for f in scan()["findings"]] == [["refs/heads/side", "refs/tags/kept"]]
    repo.git("tag", "-d", "kept")
    repo.git("branch", "-q", "-D", "side")
    after = scan()
    assert after["findings"] == []
    assert any("--all-objects" in w for w in after["warnings"])


def test_key_in_an_annotated_tag_message(repo: Repo, make_key: Any, run_cli: Any) -> None:
    key = make_key()
    repo.write("a.txt", "a\n")
    repo.commit("a", date="2026-01-01T00:00:00+00:00")
    repo.git("tag", "-a", "v2", "-m", f"release notes\n\ntoken: {key}\n")

    rows, document = history(run_cli, repo.path)

    assert rows == [("FAST002", "(tag message)", 8, None, False)]  # line of the raw object
    assert document["findings"][0]["refs"] == ["refs/tags/v2"]


def test_commit_message_finding_has_author_and_date(
    repo: Repo, make_key: Any, run_cli: Any
) -> None:
    repo.write("a.txt", "a\n")
    repo.commit(f"debug {make_key()}", date="2026-02-03T04:05:06+00:00")
    _, document = history(run_cli, repo.path)
    finding = document["findings"][0]
    assert finding["author_email"] == "author@example.com"
    assert finding["date"].startswith("2026-02-03T04:05:06")
    assert finding["refs"] == ["refs/heads/main"]


def test_history_from_a_linked_worktree(
    repo: Repo, make_key: Any, run_cli: Any, tmp_path: Path
) -> None:
    key = make_key()
    repo.write("a.env", f"KEY={key}\n")
    first = repo.commit("a", date="2026-01-01T00:00:00+00:00")
    linked = tmp_path / "linked"
    repo.git("worktree", "add", "-q", "-b", "other", str(linked))
    rows, document = history(run_cli, linked)
    assert rows == [("FAST001", "a.env", 1, first, True)]
    assert sorted(document["findings"][0]["refs"]) == ["refs/heads/main", "refs/heads/other"]


def test_many_corrupt_objects_do_not_stall_the_scan(
    repo: Repo, make_key: Any, run_cli: Any
) -> None:
    # Enough unreadable objects that git's error messages overflow a pipe's buffer.
    key = make_key()
    for index in range(900):
        repo.write(f"junk/{index}.txt", f"junk {index}\n")
    repo.write("good.env", f"KEY={key}\n")
    first = repo.commit("many", date="2026-01-01T00:00:00+00:00")
    objects = repo.path / ".git" / "objects"
    junk = repo.git("ls-tree", "-r", "HEAD", "junk/").split()
    for oid in junk[2::4]:
        loose = objects / oid[:2] / oid[2:]
        loose.chmod(0o644)
        loose.write_bytes(b"corrupt")

    rows, document = history(run_cli, repo.path)

    assert rows == [("FAST001", "good.env", 1, first, True)]
    assert any("could not read" in w for w in document["warnings"])


def test_refs_containing_many_agrees_with_for_each_ref(repo: Repo) -> None:
    """One graph walk answers what `for-each-ref --contains` answers per commit: branches,
    lightweight, annotated and nested tags, merges, a side branch, an unreachable commit."""
    from fastaudit.sources import gitobjects

    commits = []
    for index in range(6):
        repo.write("f.txt", f"{index}\n")
        commits.append(repo.commit(f"c{index}"))
    repo.git("checkout", "-q", "-b", "side", commits[2])
    repo.write("side.txt", "side\n")
    side = repo.commit("side")
    repo.git("checkout", "-q", "main")
    repo.git("-c", "commit.gpgsign=false", "merge", "-q", "--no-edit", "side")
    repo.git("tag", "light", commits[1])
    repo.git("tag", "-a", "-m", "annotated", "annotated", commits[3])
    repo.git("tag", "-a", "-m", "nested", "nested", "annotated")
    repo.git("tag", "-a", "-m", "tree", "tree-tag", f"{commits[0]}^{{tree}}")
    repo.git("checkout", "-q", "-b", "gone", commits[4])
    repo.write("gone.txt", "x\n")
    gone = repo.commit("gone")
    repo.git("checkout", "-q", "main")
    repo.git("branch", "-D", "gone")
    asked = [*commits, side, gone]
    info = gitobjects.inspect(repo.path)
    answers = gitobjects.refs_containing_many(info, asked)
    for commit in asked:
        expected = sorted(
            repo.git("for-each-ref", "--contains", commit, "--format=%(refname)").split()
        )
        assert answers[commit] == expected, commit
    assert answers[gone] == []
    assert "refs/tags/nested" in answers[commits[3]]


def test_inspect_asks_git_once_and_agrees_with_asking_value_by_value(
    repo: Repo, tmp_path: Path
) -> None:
    """The one-process `inspect` must answer exactly what one `rev-parse` per value
    answers, for every kind of repository it can meet: work tree, unborn HEAD, bare,
    linked worktree, the .git folder itself, and a path holding a newline (where the
    one-process answer cannot be split and the value-by-value one is used)."""
    from fastaudit.sources import gitinspect, gitobjects

    repo.write("a.txt", "a\n")
    repo.commit("init")
    unborn = tmp_path / "unborn"
    git(tmp_path, "init", "-q", str(unborn))
    bare = tmp_path / "bare.git"
    git(tmp_path, "clone", "-q", "--bare", str(repo.path), str(bare))
    linked = tmp_path / "linked"
    repo.git("worktree", "add", "-q", str(linked))
    odd = tmp_path / "new\nline"
    git(tmp_path, "clone", "-q", str(repo.path), str(odd))
    cases = [repo.path, unborn, bare, linked, repo.path / ".git", odd]
    for path in cases:
        answer = gitobjects.inspect(path)
        assert answer == gitinspect._inspect_step_by_step(path, path), path
    assert gitinspect._inspect_at_once(repo.path, repo.path) is not None
    assert gitinspect._inspect_at_once(odd, odd) is None  # the newline: asked value by value
    assert gitobjects.inspect(unborn).head is None
    assert gitobjects.inspect(bare).bare
    assert gitobjects.inspect(linked).git_dir != repo.path / ".git"
    with pytest.raises(InputError, match="not a git repository"):
        gitobjects.inspect(tmp_path)


@pytest.mark.parametrize("scope", [(), ("--all-objects",), ("--branch", "main")])
def test_walking_commits_in_parallel_shares_finds_what_one_walk_finds(
    repo: Repo, make_key: Any, run_cli: Any, monkeypatch: pytest.MonkeyPatch, scope: tuple[str, ...]
) -> None:
    """Long histories are attributed by several `git log --no-walk` over the commits the
    stream met (every commit in the store, reachable or not). Made to do so here, on a
    history with each shape that walk must get right, it reports exactly what one walk
    of the same history reports."""
    from fastaudit import history as history_module

    keys = [make_key() for _ in range(6)]
    repo.write("config.ini", "[api]\nkey = none\n")
    repo.commit("init", date="2026-01-01T00:00:00+00:00")
    repo.git("checkout", "-q", "-b", "other")
    repo.write("config.ini", "[api]\nkey = from-other\n")
    repo.write("copy/a.env", f"KEY={keys[0]}\n")
    repo.write("copy/b.env", f"KEY={keys[0]}\n")  # one blob on two paths
    repo.commit("other", date="2026-01-02T00:00:00+00:00")
    repo.git("checkout", "-q", "main")
    repo.write("config.ini", "[api]\nkey = from-main\n")
    repo.commit("main", date="2026-01-02T00:00:00+00:00")  # the same second as `other`
    subprocess.run(["git", "merge", "-q", "other"], cwd=repo.path, capture_output=True)
    repo.write("config.ini", f"[api]\nkey = {keys[1]}\n")  # only the merge holds it
    repo.commit("merge other", date="2026-01-03T00:00:00+00:00")
    repo.write("settings.py", f'KEY = "{keys[2]}"\n')
    repo.commit("settings", date="2026-01-04T00:00:00+00:00")
    repo.write("settings.py", "KEY = None\n")
    repo.git("add", "-A")
    repo.git("commit", "-q", "--amend", "-m", "settings, no key")  # an unreachable commit
    repo.git("checkout", "-q", "-b", "gone")
    repo.write("gone.txt", f"{keys[3]}\n")
    repo.commit("gone", date="2026-01-05T00:00:00+00:00")
    repo.git("checkout", "-q", "main")
    repo.git("branch", "-q", "-D", "gone")  # a deleted branch
    repo.git("checkout", "-q", "--detach")
    repo.write("detached.txt", f"{keys[4]}\n")
    detached = repo.commit("on a detached HEAD only", date="2026-01-06T00:00:00+00:00")
    repo.git("tag", "-a", "v1", "-m", f"release {keys[5]}", "main")

    one_walk, walked = history(run_cli, repo.path, *scope)
    monkeypatch.setattr(history_module, "PARALLEL_WALK_COMMITS", 1)
    shares, shown = history(run_cli, repo.path, *scope)

    assert shares == one_walk
    assert shown["findings"] == walked["findings"]  # refs, authors and dates too
    if not scope:
        assert ("FAST001", "detached.txt", 1, detached, True) in shares
        assert {row[1] for row in shares} >= {"copy/a.env", "copy/b.env", "config.ini"}
        assert "settings.py" not in {row[1] for row in shares}  # unreachable: not in scope
