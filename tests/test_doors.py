"""One question, every door, one answer (issue 21).

A repository generated at run time holds keys plain and in every disguise the detector
reads (base64, hex, `\\x`, `\\u`, `%`, HTML entities, zip and tar members, a literal split
in two, a notebook cell split over two source lines, a notebook output) next to decoys
that are not keys. Each door is asked about it the way a user asks: `scan`,
`scan --staged`, `hook`, `history` (after every file was deleted), `audit` (local and
Dask), `ci github` (push and pull request), `ci gitlab`, `pre-receive` (a real push into a
bare repository with the hook) and the detect-secrets plugin.
Every door must name the same keys at the same places (file and line); a door that
diverges fails here.
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import pytest

from fastaudit.detect import generate_key, redact

from .conftest import Repo
from .test_ci_gates import outputs, run_action, runner_env
from .test_disguise import _tar, _zip
from .test_org_audit import dask_cluster  # a shared fixture
from .test_verify import FakeToolsFast, api  # the local Tools.FAST stand-in

BIN = Path(sys.executable).parent
PLUGIN = Path(__file__).resolve().parent.parent / "plugins" / "fast_api_key.py"

Place = tuple[str, str, int]  # (redacted key, path, line)


def _notebook(split_key: str, output_key: str) -> str:
    half = len(split_key) // 2
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": ["# Setup\n", "Nothing here.\n"]},
        {
            "cell_type": "code",
            "execution_count": 1,
            "metadata": {},
            "outputs": [],
            "source": [
                "import client\n",
                f'KEY = "{split_key[:half]}"\n',
                f'"{split_key[half:]}"\n',
            ],
        },
        {
            "cell_type": "code",
            "execution_count": 2,
            "metadata": {},
            "outputs": [{"name": "stdout", "output_type": "stream", "text": [f"{output_key}\n"]}],
            "source": ["print(client.key())\n"],
        },
    ]
    document = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(document, indent=1) + "\n"


def _corpus() -> tuple[dict[str, str | bytes], set[Place]]:
    """Files and the places a user expects each key at: where it, or the disguise holding
    it, starts."""
    keys = {name: generate_key() for name in (
        "plain", "b64", "hex", "xesc", "uesc", "pct", "ent", "zip", "tgz", "split",
        "nb_split", "nb_out",
    )}  # fmt: skip
    k = keys
    half = len(k["split"]) // 2
    files: dict[str, str | bytes] = {
        "config/plain.env": f"# settings\nFAST_API_KEY={k['plain']}\n",
        "k8s/secret.yaml": "kind: Secret\ndata:\n"
        f"  key: {base64.b64encode(('K=' + k['b64']).encode()).decode()}\n",
        "hex.txt": f"\n\nblob = {('K=' + k['hex']).encode().hex()}\n",
        "src/escaped.c": 'int x;\nchar *k = "'
        + "".join(f"\\x{ord(c):02x}" for c in k["xesc"])
        + '";\n',
        "web/app.js": "const k =\n  '" + "".join(f"\\u{ord(c):04x}" for c in k["uesc"]) + "';\n",
        "urls.txt": "a\nb\nc\nhttps://x.example/?k="
        + "".join(f"%{ord(c):02X}" for c in k["pct"])
        + "\n",
        "web/page.html": "<p>\n" + "".join(f"&#{ord(c)};" for c in k["ent"]) + "\n</p>\n",
        "dist/bundle.zip": _zip({"inner/secret.txt": f"K={k['zip']}\n".encode()}),
        "backup.tgz": _tar({"db/dump.sql": f"-- dump\n'{k['tgz']}'\n".encode()}, "w:gz"),
        "client.py": f'import os\n\nKEY = "{k["split"][:half]}" + "{k["split"][half:]}"\n',
        "analysis.ipynb": _notebook(k["nb_split"], k["nb_out"]),
        # Decoys: none is a key.
        "docs/README.md": "Set `fast_prod_YOUR_API_KEY_HERE` or fast_prod_... in .env;\n"
        "breakfast_prod_abcdefghijklmnopqrstuvwx is a menu.\n",
    }
    expected = {
        (redact(k["plain"]), "config/plain.env", 2),
        (redact(k["b64"]), "k8s/secret.yaml", 3),
        (redact(k["hex"]), "hex.txt", 3),
        (redact(k["xesc"]), "src/escaped.c", 2),
        (redact(k["uesc"]), "web/app.js", 2),
        (redact(k["pct"]), "urls.txt", 4),
        (redact(k["ent"]), "web/page.html", 2),
        (redact(k["zip"]), "dist/bundle.zip", 1),
        (redact(k["tgz"]), "backup.tgz", 1),
        (redact(k["split"]), "client.py", 3),
    }
    notebook = str(files["analysis.ipynb"]).splitlines()
    for name in ("nb_split", "nb_out"):
        piece = k[name][: len(k[name]) // 2]
        line = next(i for i, text in enumerate(notebook, 1) if piece in text)
        expected.add((redact(k[name]), "analysis.ipynb", line))
    return files, expected


def _places(findings: list[dict[str, Any]]) -> set[Place]:
    return {
        (f["redacted"], f["path"], f["line"])
        for f in findings
        if f.get("rule_id") in ("FAST001", "FAST002")
    }


_REDACTED = re.compile(r"fast_prod_[A-Za-z0-9_-]{4}…[A-Za-z0-9_-]{4}")


@pytest.fixture(scope="module")
def keyed(tmp_path_factory: Any) -> dict[str, Any]:
    """The repository, with a first commit (`base`) that holds nothing, the keys staged
    (never committed) in `staged`, and `added` / `deleted` commits in `history`."""
    from .conftest import git

    files, expected = _corpus()
    root = tmp_path_factory.mktemp("doors")
    repos: dict[str, Repo] = {}
    for name in ("staged", "history"):
        path = root / name
        path.mkdir()
        git(path, "init", "-q", "-b", "main")
        repo = Repo(path)
        repo.write("README.md", "service\n")
        repo.commit("init", date="2026-01-01T00:00:00+00:00")
        for file, content in files.items():
            repo.write(file, content)
        repos[name] = repo
    repos["staged"].git("add", "-A")
    history = repos["history"]
    base = history.git("rev-parse", "HEAD").strip()
    added = history.commit("add service files", date="2026-01-02T00:00:00+00:00")
    scanned = _scan_json(history.path)  # the work tree as it stood
    history.git("rm", "-q", "-r", *files)
    deleted = history.commit("remove them", date="2026-01-03T00:00:00+00:00")
    bare = root / "origin.git"
    git(root, "clone", "-q", "--bare", str(history.path), str(bare))
    return {
        "expected": expected,
        "staged": repos["staged"],
        "history": history,
        "base": base,
        "added": added,
        "deleted": deleted,
        "bare": bare,
        "scan": scanned,
    }


def _scan_json(path: Path) -> set[Place]:
    out = subprocess.run(
        [str(BIN / "fastaudit"), "scan", str(path), "--format", "json"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert out.returncode == 1, out.stderr
    return _places(json.loads(out.stdout)["findings"])


def test_scan_finds_every_key_once_at_its_place(keyed: dict[str, Any]) -> None:
    assert keyed["scan"] == keyed["expected"]


def test_scan_staged_and_the_hook(keyed: dict[str, Any], run_cli: Any) -> None:
    staged = keyed["staged"]
    result = run_cli("scan", "--staged", "--format", "json", cwd=staged.path)
    assert result.code == 1, result.err
    assert _places(result.json()["findings"]) == keyed["expected"]
    hook = run_cli("hook", cwd=staged.path)
    assert hook.code == 1
    shown = {(m.group(0), path, int(line)) for path, line, m in _text_places(hook.out)}
    assert shown == keyed["expected"]


def _text_places(text: str) -> list[tuple[str, str, re.Match[str]]]:
    """(path, line, redacted key) from the text report: each finding's title line names
    the key, the line under it the place (`path:line:column`)."""
    found = []
    key = None
    for line in text.splitlines():
        named = _REDACTED.search(line)
        if named:
            key = named
            continue
        place = re.match(r"\s+([\w./-]+):(\d+):\d+", line)
        if place and key:
            found.append((place.group(1), place.group(2), key))
            key = None
    return found


def test_history_after_deletion(keyed: dict[str, Any], run_cli: Any) -> None:
    result = run_cli("history", str(keyed["history"].path), "--format", "json", "--no-cache")
    assert result.code == 1, result.err
    found = result.json()["findings"]
    assert _places(found) == keyed["expected"]
    assert {f["commit"] for f in found} == {keyed["added"]}


@pytest.mark.parametrize("executor", ["local", "dask"])
def test_audit(
    executor: str, keyed: dict[str, Any], run_cli: Any, request: Any, tmp_path: Path
) -> None:
    extra: list[str] = []
    if executor == "dask":
        cluster = request.getfixturevalue("dask_cluster")
        extra = ["--executor", "dask", "--scheduler", cluster["address"]]
    report = tmp_path / "audit.json"
    result = run_cli(
        "audit", str(keyed["history"].path), "--json", str(report), "--no-cache", *extra
    )
    assert result.code == 1, result.err
    assert _places(json.loads(report.read_text())["findings"]) == keyed["expected"]


def _github(keyed: dict[str, Any], tmp_path: Path, event: str) -> set[Place]:
    from .conftest import git

    workspace = tmp_path / "ws"
    git(tmp_path, "clone", "-q", f"file://{keyed['bare']}", str(workspace))
    git(workspace, "checkout", "-q", keyed["added"])
    if event == "push":
        payload: dict[str, Any] = {
            "before": keyed["base"],
            "after": keyed["added"],
            "commits": [{}],
        }
    else:
        payload = {
            "number": 3,
            "pull_request": {
                "number": 3,
                "commits": 1,
                "base": {"sha": keyed["base"], "ref": "main"},
                "head": {"sha": keyed["added"], "ref": "feature"},
            },
        }
    env = runner_env(tmp_path, workspace, event, payload)
    scan = run_action(env)[-1]
    assert scan.code == 1, scan.err
    assert outputs(env)["exit-code"] == "1"
    sarif = json.loads((workspace / "fastaudit.sarif").read_text())
    places = set()
    for result in sarif["runs"][0]["results"]:
        location = result["locations"][0]["physicalLocation"]
        key = _REDACTED.search(result["message"]["text"])
        assert key, result["message"]["text"]
        places.add(
            (key.group(0), location["artifactLocation"]["uri"], location["region"]["startLine"])
        )
    return places


@pytest.mark.parametrize("event", ["push", "pull_request"])
def test_ci_github(event: str, keyed: dict[str, Any], tmp_path: Path) -> None:
    assert _github(keyed, tmp_path, event) == keyed["expected"]


def test_ci_gitlab(keyed: dict[str, Any], tmp_path: Path) -> None:
    from .conftest import git

    project = tmp_path / "project"
    git(tmp_path, "clone", "-q", f"file://{keyed['bare']}", str(project))
    git(project, "checkout", "-q", keyed["added"])
    out = subprocess.run(
        [str(BIN / "fastaudit"), "ci", "gitlab"],
        cwd=project,
        env={
            **os.environ,
            "CI_PIPELINE_SOURCE": "merge_request_event",
            "CI_MERGE_REQUEST_DIFF_BASE_SHA": keyed["base"],
            "CI_MERGE_REQUEST_IID": "4",
            "CI_COMMIT_SHA": keyed["added"],
            "CI_PROJECT_DIR": str(project),
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 1, out.stderr
    report = json.loads((project / "gl-secret-detection-report.json").read_text())
    places = set()
    for item in report["vulnerabilities"]:
        key = _REDACTED.search(item["description"])
        assert key, item["description"]
        places.add((key.group(0), item["location"]["file"], item["location"]["start_line"]))
    assert places == keyed["expected"]


def test_pre_receive(keyed: dict[str, Any], tmp_path: Path) -> None:
    """The keys added and deleted again, pushed to a server that has only the first
    commit: the hook refuses, naming every key at its place."""
    from .conftest import git

    server = tmp_path / "server.git"
    git(tmp_path, "init", "-q", "--bare", str(server))
    git(keyed["history"].path, "push", "-q", str(server), f"{keyed['base']}:refs/heads/main")
    installed = subprocess.run(
        [str(BIN / "fastaudit"), "pre-receive", "--install", str(server)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr
    pushed = subprocess.run(
        ["git", "push", str(server), f"{keyed['deleted']}:refs/heads/main"],
        cwd=keyed["history"].path, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert pushed.returncode != 0, pushed.stderr
    places = {
        (m.group(1), m.group(2), int(m.group(3)))
        for m in re.finditer(r"remote:\s+(\S+…\S+)\s+(\S+):(\d+)\s+\(commit", pushed.stderr)
    }
    assert places == keyed["expected"]


def test_detect_secrets_plugin_on_what_it_can_see(keyed: dict[str, Any]) -> None:
    """detect-secrets reads text files line by line: archives and keys split over two
    lines are out of its sight. On every line it does see, it must agree."""
    staged = keyed["staged"]
    out = subprocess.run(
        [str(BIN / "detect-secrets"), "scan", "--plugin", str(PLUGIN), "--all-files"],
        cwd=staged.path, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    seen = {
        (path, entry["line_number"])
        for path, entries in json.loads(out.stdout)["results"].items()
        for entry in entries
        if entry["type"] == "Tools.FAST API Key"
    }
    line_bound = {
        (path, line)
        for _, path, line in keyed["expected"]
        if not path.endswith((".zip", ".tgz", ".ipynb")) and path != "client.py"
    }
    assert line_bound <= seen
    assert seen <= {(path, line) for _, path, line in keyed["expected"]}


def test_audit_verifies_exactly_like_scan(
    repo: Repo, run_cli: Any, api: FakeToolsFast, tmp_path: Path
) -> None:
    """`audit --verify` (local executor) sends the keys it found and marks them as
    `scan --verify` does; Dask keeps refusing (keys never leave the machine)."""
    live, dead = generate_key(), generate_key()
    api.live.add(live)
    repo.write("app.py", f'KEY = "{live}"\n')
    repo.write("k8s/secret.yaml", f"k: {base64.b64encode(dead.encode()).decode()}\n")
    repo.commit("keys")

    def states(findings: list[dict[str, Any]]) -> dict[tuple[str, str, int], str]:
        return {
            (f["redacted"], f["path"], f["line"]): f.get("verification")
            for f in findings
            if f["rule_id"] == "FAST001"
        }

    scanned = run_cli("scan", str(repo.path), "--verify", "--format", "json")
    report = tmp_path / "audit.json"
    audited = run_cli("audit", str(repo.path), "--verify", "--json", str(report), "--no-cache")
    assert scanned.code == audited.code == 1, audited.err
    by_scan = states(scanned.json()["findings"])
    by_audit = states(json.loads(report.read_text())["findings"])
    assert by_scan == by_audit
    assert sorted(by_audit.values()) == ["live", "rejected"]
    refused = run_cli("audit", str(repo.path), "--verify", "--executor", "dask")
    assert refused.code == 2 and "executor local only" in refused.err
