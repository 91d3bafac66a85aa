"""SARIF 2.1.0, shaped for GitHub code scanning: one rule per fastaudit rule ID with a
`security-severity`, repository-relative locations, and partial fingerprints that stay
stable when lines move."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import IO, Any

from fastaudit import PROJECT_URL
from fastaudit.findings import RULES, Finding, Severity
from fastaudit.report import Report, clean_document, dump_json, write_list

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = PROJECT_URL

_LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
# GitHub maps security-severity to critical >= 9.0, high >= 7.0, medium >= 4.0, low > 0.
_SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "0.0",
}


# Where each rule is explained: the README's rule catalogue, as PyPI shows it.
RULES_URI = f"{INFORMATION_URI}#rules"
_ARTICLES = frozenset({"a", "an", "the"})


def rule_name(title: str) -> str:
    """The rule's friendly name as SARIF asks for it: one PascalCase identifier, articles
    left out (`AToolsFast` is not PascalCase), so `KeyUnusedForLongTime`."""
    words = [
        w for w in title.replace(".", " ").replace("/", " ").split() if w.lower() not in _ARTICLES
    ]
    return "".join(w[:1].upper() + w[1:].lower() for w in words if w.isalnum() or w.isalpha())


def _rule_descriptor(rule_id: str) -> dict[str, Any]:
    rule = RULES[rule_id]
    return {
        "id": rule.id,
        "name": rule_name(rule.title),
        "helpUri": RULES_URI,
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.description},
        "help": {
            "text": rule.remediation,
            "markdown": f"**{rule.practice.title}.** {rule.remediation}",
        },
        "defaultConfiguration": {"level": _LEVEL[rule.severity]},
        "properties": {
            "tags": ["security", "secrets", f"practice-{int(rule.practice)}"],
            "precision": "high",
            "security-severity": _SECURITY_SEVERITY[rule.severity],
        },
    }


def _message(finding: Finding) -> str:
    parts = [finding.title]
    if finding.redacted:
        parts.append(f"({finding.redacted})")
    if finding.message:
        parts.append(f"- {finding.message}")
    if finding.key_name:
        parts.append(f"- key {finding.key_name!r}")
    if finding.commit:
        parts.append(f"- introduced in commit {finding.commit[:12]}")
    if finding.disguise:
        parts.append(f"- {finding.disguise}")
    return " ".join(parts)


def relative_uri(path: str) -> str:
    """A repository-relative path as a URI reference (RFC 3986): its bytes percent-encoded,
    so `my notes#1 100%.txt` is one path, not a path plus a fragment."""
    from urllib.parse import quote

    return quote(os.fsencode(path), safe="/")


def _base_id(repo: str | None) -> str:
    return f"REPO_{''.join(c if c.isalnum() else '_' for c in repo)}" if repo else "%SRCROOT%"


def _result(
    finding: Finding, rule_index: dict[str, int], inventory: str | None = None
) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index[finding.rule_id],
        "level": _LEVEL[finding.severity],
        "message": {"text": _message(finding)},
    }
    if finding.path and not finding.path.startswith("("):
        region: dict[str, Any] = {"startLine": max(1, finding.line or 1)}
        if finding.column:
            region["startColumn"] = finding.column
        result["locations"] = [
            {
                "physicalLocation": {
                    "artifactLocation": {
                        "uri": relative_uri(finding.path),
                        "uriBaseId": _base_id(finding.repo),
                    },
                    "region": region,
                }
            }
        ]
    elif finding.path:  # a commit or tag message: no file to point at
        result["locations"] = [
            {
                "logicalLocations": [
                    {
                        "name": finding.path,
                        "kind": "object",
                        "fullyQualifiedName": finding.commit or finding.path,
                    }
                ]
            }
        ]
    elif finding.key_id:
        # Inventory findings point at the inventory file, and name the key logically.
        location: dict[str, Any] = {
            "logicalLocations": [
                {
                    "name": finding.key_name or finding.key_id,
                    "kind": "resource",
                    "fullyQualifiedName": f"inventory/{finding.key_id}",
                }
            ]
        }
        if inventory and "://" not in inventory:
            location["physicalLocation"] = {
                "artifactLocation": {
                    "uri": relative_uri(os.path.basename(inventory)),
                    "uriBaseId": INVENTORY_BASE,
                },
                "region": {"startLine": 1},
            }
        result["locations"] = [location]
    else:  # a secret-level finding (the same key across environments)
        result["locations"] = [
            {
                "logicalLocations": [
                    {
                        "name": finding.redacted or finding.rule_id,
                        "kind": "resource",
                        "fullyQualifiedName": f"secret/{(finding.secret_sha256 or '')[:16]}",
                    }
                ]
            }
        ]
    identity = finding.fingerprint or ""
    result["partialFingerprints"] = {
        "fastaudit/v1": f"{finding.rule_id}:{identity}:{finding.path or ''}"
    }
    properties: dict[str, Any] = {"severity": finding.severity.label}
    for name in ("commit", "author_email", "date", "key_id", "verification", "status"):
        value = getattr(finding, name)
        if value is not None:
            properties[name] = value
    if finding.decoded:
        properties["decoded"] = list(finding.decoded)
    if finding.member is not None:
        properties["member"] = finding.member_path
    if finding.inner_line is not None:
        properties["inner_line"] = finding.inner_line
    result["properties"] = properties
    return result


def as_document(report: Report, *, streamed: bool = False) -> dict[str, Any]:
    """The SARIF log; with `streamed`, `results` is left as a placeholder for `render` to
    write result by result (an organisation's audit can hold any number)."""
    findings = report.sorted_findings()
    used = sorted(report.counts().by_rule)
    rule_ids = sorted(RULES)
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "fastaudit",
                "version": report.tool_version,
                "semanticVersion": report.tool_version,
                "informationUri": INFORMATION_URI,
                "rules": [_rule_descriptor(r) for r in rule_ids],
            }
        },
        "results": [] if streamed else list(_results(report, findings)),
        "invocations": [
            {
                "executionSuccessful": not any(r.get("error") for r in report.repos)
                and not report.stats.get("incomplete"),
                "toolExecutionNotifications": [
                    {"level": "warning", "message": {"text": w}} for w in report.warnings
                ],
            }
        ],
        "properties": {"command": report.command, "rulesWithResults": used},
    }
    bases: dict[str, Any] = {}
    if report.root:
        bases["%SRCROOT%"] = {"uri": _dir_uri(report.root)}
    for repo in report.repos:
        bases[_base_id(repo["name"])] = {"uri": _dir_uri(repo["path"])}
    inventory = report.parameters.get("inventory")
    if isinstance(inventory, str) and inventory and "://" not in inventory:
        bases[INVENTORY_BASE] = {"uri": _dir_uri(os.path.dirname(os.path.abspath(inventory)))}
    if bases:
        run["originalUriBaseIds"] = bases
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


# The inventory file's folder, so inventory findings point at it by a relative URI.
INVENTORY_BASE = "INVENTORY"


def _file_uri(path: str) -> str:
    from pathlib import Path
    from urllib.parse import quote

    try:
        return Path(path).resolve().as_uri()
    except (ValueError, OSError):  # not a path this system can hold (a NUL byte)
        return "file://" + quote(os.fsencode(os.path.abspath(path.replace("\0", ""))))


def _dir_uri(root: str) -> str:
    uri = _file_uri(root)
    return uri if uri.endswith("/") else uri + "/"


def _results(report: Report, findings: Iterable[Finding]) -> Iterator[dict[str, Any]]:
    """Each finding as a SARIF result; `ruleIndex` points into the driver's rules, which
    list every rule sorted by id."""
    rule_index = {rule_id: i for i, rule_id in enumerate(sorted(RULES))}
    inventory = report.parameters.get("inventory")
    return (_result(f, rule_index, inventory) for f in findings)


def render(report: Report, stream: IO[str]) -> None:
    """The log indented as before, with its results one per line in their place, each
    cleaned and written as it is made: an organisation's log is never held whole."""
    import io

    log = io.StringIO()
    dump_json(clean_document(as_document(report, streamed=True), report), log)
    text = log.getvalue()
    # Outside strings JSON has no unescaped quote, so this is the run's (empty) results.
    place = text.index(_EMPTY_RESULTS)
    indent = " " * (place - text.rindex("\n", 0, place) - 1)
    stream.write(text[:place] + '"results": ')
    write_list(stream, _results(report, report.sorted_findings()), report, indent)
    stream.write(text[place + len(_EMPTY_RESULTS) :])


_EMPTY_RESULTS = '"results": []'
