"""JUnit XML for CI systems that display test results: one test suite per rule, one test
case per secret or key. A failing case is a finding; a key that passed a rule's check is a
passing case, so the CI view shows coverage too."""

from __future__ import annotations

from collections import defaultdict
from typing import IO
from xml.etree import ElementTree as ET

from fastaudit.findings import RULES, Finding
from fastaudit.report import Report


def _case_name(finding: Finding) -> str:
    if finding.redacted:
        return finding.redacted
    if finding.key_id:
        return f"{finding.key_name} ({finding.key_id})"
    return finding.message or finding.rule_id


def render(report: Report, stream: IO[str]) -> None:
    """Write JUnit XML, one suite per rule and one case per key, to `stream`."""
    failures: dict[str, dict[str, list[Finding]]] = defaultdict(lambda: defaultdict(list))
    for finding in report.sorted_findings():
        failures[finding.rule_id][_case_name(finding)].append(finding)
    passes: dict[str, list[str]] = defaultdict(list)
    for passed in report.passes:
        for rule_id in passed.rules:
            passes[rule_id].append(f"{passed.key_name} ({passed.key_id})")

    root = ET.Element("testsuites", name=f"fastaudit {report.command}")
    total_tests = total_failures = 0
    for rule_id in sorted(set(failures) | set(passes)):
        rule = RULES[rule_id]
        failing = failures.get(rule_id, {})
        passing = [name for name in passes.get(rule_id, []) if name not in failing]
        suite = ET.SubElement(
            root,
            "testsuite",
            name=f"{rule_id} {rule.title}",
            tests=str(len(failing) + len(passing)),
            failures=str(len(failing)),
            errors="0",
            skipped="0",
        )
        for name, members in failing.items():
            case = ET.SubElement(suite, "testcase", classname=rule_id, name=name)
            first = members[0]
            locations = [
                f"{f.repo + ': ' if f.repo else ''}{f.path}:{f.line or 0}"
                + (f" (commit {f.commit[:12]})" if f.commit else "")
                for f in members
                if f.path
            ]
            failure = ET.SubElement(
                case,
                "failure",
                type=first.severity.label,
                message=f"{rule.title}: {first.message or name}",
            )
            failure.text = "\n".join([*locations, "", rule.remediation])
        for name in passing:
            ET.SubElement(suite, "testcase", classname=rule_id, name=name)
        total_tests += len(failing) + len(passing)
        total_failures += len(failing)
    root.set("tests", str(total_tests))
    root.set("failures", str(total_failures))
    ET.indent(root)
    stream.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    stream.write(ET.tostring(root, encoding="unicode"))
    stream.write("\n")
