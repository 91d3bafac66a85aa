"""`fastaudit audit`, `fastaudit report` and the report formats, checked as a user would."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO_ROOT, Repo

REPORT_SCHEMA = json.loads((REPO_ROOT / "schemas" / "report.schema.json").read_text())


def validate(document: Any) -> None:
    import jsonschema

    jsonschema.Draft202012Validator(
        REPORT_SCHEMA, format_checker=jsonschema.FormatChecker()
    ).validate(document)


def test_audit_writes_every_format_and_none_holds_a_key(demo_audit: Any) -> None:
    repo, out, result = demo_audit
    document = json.loads((out / "report.json").read_text())
    validate(document)
    rules = {f["rule_id"] for f in document["findings"]}
    assert rules >= {
        "FAST001",
        "FAST002",
        "FAST003",
        "FAST004",
        "FAST101",
        "FAST102",
        "FAST103",
        "FAST104",
        "FAST110",
        "FAST111",
        "FAST112",
        "FAST120",
        "FAST121",
        "FAST130",
        "FAST140",
    }
    cards = {c["practice"]: c for c in document["summary"]["scorecard"]}
    assert all(card["status"] == "fail" for card in cards.values())
    assert document["summary"]["by_repo"]["example-service"] >= 4
    assert document["parameters"]["as_of"] == "2026-06-30T00:00:00Z"
    assert document["parameters"]["versions"]["fastaudit"]
    for name in ("report.html", "report.json", "report.sarif", "report.xml"):
        text = (out / name).read_text()
        for key in (repo.worktree_key, repo.history_key, repo.staging_key):
            assert key not in text, name
    for key in (repo.worktree_key, repo.history_key, repo.staging_key):
        assert key not in result.out and key not in result.err


def test_worktree_and_history_are_merged_per_path(demo_audit: Any) -> None:
    _, out, _ = demo_audit
    document = json.loads((out / "report.json").read_text())
    leaks = [
        (f["rule_id"], f["path"])
        for f in document["findings"]
        if f["rule_id"] in ("FAST001", "FAST002")
    ]
    assert sorted(leaks) == [
        ("FAST001", "config/production.json"),
        ("FAST001", "config/staging.env"),
        ("FAST001", "scripts/convert.sh"),
        ("FAST002", "config/production.env"),
    ]
    assert all(f.get("commit") for f in document["findings"] if f["rule_id"] == "FAST001")


def test_junit_has_a_suite_per_rule_and_a_case_per_key(demo_audit: Any) -> None:
    _, out, _ = demo_audit
    root = ET.parse(out / "report.xml").getroot()
    suites = {s.get("name", "").split()[0]: s for s in root.iter("testsuite")}
    assert {"FAST001", "FAST110", "FAST140"} <= set(suites)
    fast001 = suites["FAST001"]
    assert fast001.get("failures") == "2"  # two distinct keys in the working tree
    assert all(c.find("failure") is not None for c in fast001.iter("testcase"))
    rotation = suites["FAST110"]
    passing = [c for c in rotation.iter("testcase") if c.find("failure") is None]
    assert passing, "keys that passed the rotation check appear as passing cases"


def test_report_command_re_renders_a_saved_report(demo_audit: Any, run_cli: Any) -> None:
    _, out, _ = demo_audit
    result = run_cli(
        "report",
        str(out / "report.json"),
        "--html",
        str(out / "again.html"),
        "--junit",
        str(out / "again.xml"),
    )
    assert result.code == 0, result.err
    original = json.loads((out / "report.json").read_text())
    again = (out / "again.html").read_text()
    assert again.count("<tr data-severity=") == len(original["findings"])
    text = run_cli("report", str(out / "report.json"))
    assert "FAST140" in text.out


def test_previous_report_marks_new_open_and_fixed(
    repo: Repo, make_key: Any, run_cli: Any, tmp_path: Path
) -> None:
    first_key = make_key()
    insecure = "http://api.tools.fast/x"  # fastaudit: allow
    repo.write("app.py", f'KEY = "{first_key}"\nURL = "{insecure}"\n')
    repo.commit("app")
    old = tmp_path / "old.json"
    run_cli("audit", str(repo.path), "--json", str(old), "--no-cache")
    repo.write("app.py", f'KEY = "{first_key}"\nURL = "https://api.tools.fast/x"\n')
    repo.write("new.env", f"KEY={make_key()}\n")
    repo.commit("fix the url, add another key")
    new = tmp_path / "new.json"
    html = tmp_path / "new.html"
    run_cli(
        "audit",
        str(repo.path),
        "--json",
        str(new),
        "--html",
        str(html),
        "--previous",
        str(old),
        "--no-cache",
    )
    document = json.loads(new.read_text())
    validate(document)
    status = {(f["rule_id"], f["path"]): f["status"] for f in document["findings"]}
    assert status == {("FAST001", "app.py"): "open", ("FAST001", "new.env"): "new"}
    assert [(f["rule_id"], f["status"]) for f in document["fixed"]] == [("FAST003", "fixed")]
    assert document["trend"] == {"new": 1, "open": 1, "fixed": 1}
    assert "1 fixed" in html.read_text()


def test_several_repositories_from_a_list_file(tmp_path: Path, make_key: Any, run_cli: Any) -> None:
    from tests.conftest import git

    names = []
    for name in ("billing", "web"):
        path = tmp_path / "src" / name
        path.mkdir(parents=True)
        git(path, "init", "-q", "-b", "main")
        Repo(path).write("k.env", f"KEY={make_key()}\n")
        Repo(path).commit("k")
        names.append(name)
    listing = tmp_path / "repos.txt"
    listing.write_text("# nightly audit\nsrc/billing\nsrc/web\nsrc/missing\n")
    result = run_cli("audit", "--repos-file", str(listing), "--format", "json", "--no-cache")
    document = result.json()
    validate(document)
    assert document["summary"]["by_repo"] == {"billing": 1, "web": 1}
    assert [r["name"] for r in document["repos"]] == ["billing", "web", "missing"]
    assert any(w.startswith("missing: not scanned") for w in document["warnings"])


@pytest.mark.parametrize("command", ["scan", "history", "check"])
def test_every_json_report_matches_the_schema(
    command: str, repo: Repo, make_key: Any, run_cli: Any
) -> None:
    repo.write("a.env", f"KEY={make_key()}\nURL=http://tools.fast/\n")  # fastaudit: allow
    repo.commit("a")
    if command == "check":
        args = [
            "check",
            "--inventory",
            str(REPO_ROOT / "examples" / "inventory.json"),
            "--as-of",
            "2026-06-30",
        ]
    else:
        args = [command, str(repo.path)]
    result = run_cli(*args, "--format", "json")
    assert result.code == 1
    validate(result.json())


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self.tags.append(tag)


def test_html_escapes_hostile_names(
    repo: Repo, make_key: Any, run_cli: Any, tmp_path: Path
) -> None:
    hostile = '<img src=x onerror="alert(1)">'
    repo.write(f"a</script><b>{'x'}.env", f"KEY={make_key()}\n")
    repo.commit(f"</script><script>alert(2)</script> {hostile}")
    inventory = tmp_path / "inv.json"
    inventory.write_text(
        json.dumps(
            {
                "schema_version": 1,
                "keys": [
                    {
                        "id": "</script><script>alert(3)</script>",
                        "name": f"Production {hostile}",
                        "created_at": "2026-01-01",
                    }
                ],
            }
        )
    )
    html = tmp_path / "r.html"
    run_cli(
        "audit",
        str(repo.path),
        "--inventory",
        str(inventory),
        "--html",
        str(html),
        "--as-of",
        "2026-06-30",
        "--no-cache",
    )
    page = html.read_text()
    parser = _Elements()
    parser.feed(page)
    assert parser.tags.count("script") == 1
    assert "img" not in parser.tags and "b" not in parser.tags
    assert "&lt;/script&gt;" in page and "&lt;img src=x" in page


def test_content_security_policy_is_strict_and_matches_the_inline_code(demo_audit: Any) -> None:
    import base64
    import hashlib
    import re

    _, out, _ = demo_audit
    page = (out / "report.html").read_text()
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert csp is not None
    import html

    policy = html.unescape(csp.group(1))
    assert "default-src 'none'" in policy and "unsafe-inline" not in policy
    script = re.search(r"<script>(.*?)</script>", page, re.S)
    style = re.search(r"<style>(.*?)</style>", page, re.S)
    assert script and style
    for body in (script.group(1), style.group(1)):
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy
    assert not re.search(r'(src|href)="(https?:)?//', page)


def test_interrupted_write_leaves_the_old_report(tmp_path: Path) -> None:
    from fastaudit.output import atomic_text_file

    target = tmp_path / "report.html"
    target.write_text("previous complete report")
    with pytest.raises(RuntimeError), atomic_text_file(target) as stream:
        stream.write("<html>half")
        raise RuntimeError("interrupted")
    assert target.read_text() == "previous complete report"
    assert list(tmp_path.iterdir()) == [target]


def test_demo_command_writes_the_report(tmp_path: Path, run_cli: Any) -> None:
    from fastaudit.detect import KeySpec, find_keys

    out = tmp_path / "demo-report"
    result = run_cli("demo", "--out", str(out))
    assert result.code == 0, result.err
    document = json.loads((out / "report.json").read_text())
    validate(document)
    assert {f["rule_id"] for f in document["findings"]} >= {"FAST001", "FAST002", "FAST140"}
    assert "Best practices scorecard" in (out / "report.html").read_text()
    assert "1. Never commit keys to source control" in result.out
    # No full key anywhere: output, reports, and the audit store's database file.
    for data in (
        result.out.encode(),
        result.err.encode(),
        *(p.read_bytes() for p in out.iterdir()),
    ):
        assert list(find_keys(data, KeySpec())) == []
    assert "audit-store.sqlite3" in {p.name for p in out.iterdir()}
    assert len(document["trends"]["runs"]) == 4
