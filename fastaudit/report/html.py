"""The self-contained HTML report: one file, inline CSS and JS, a strict
Content-Security-Policy (hashes of exactly the inline style and script, nothing else may
load), autoescaped everywhere.

Layout: the six best practices as a scorecard, then findings grouped by practice and by
secret or key, then a table that filters and sorts with plain JS, then the passes.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections import defaultdict
from datetime import datetime, timezone
from functools import cache
from importlib import resources
from typing import IO, Any

from fastaudit.findings import (
    ROTATION_STEPS,
    ROTATION_TEXT,
    Finding,
    Practice,
    Severity,
    sort_key,
)
from fastaudit.report import Report, charts
from fastaudit.report.actions import actions, anchor, subject_of

_HIDDEN_EVIDENCE = {"object"}


@cache
def _asset(name: str) -> str:
    return resources.files("fastaudit.templates").joinpath(name).read_text(encoding="utf-8")


def _sha256_source(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def content_security_policy(css: str, js: str) -> str:
    """A policy that lets the page run only its own inline style and script, and fetch nothing."""
    return (
        "default-src 'none'; "
        f"style-src {_sha256_source(css)}; "
        f"script-src {_sha256_source(js)}; "
        "img-src 'none'; font-src 'none'; connect-src 'none'; "
        "base-uri 'none'; form-action 'none'"
    )


# Evidence names as a reader says them; a name not listed is shown with its underscores
# as spaces. Each value is written out in words, never as JSON.
_EVIDENCE_LABELS = {
    "locations": "Found at",
    "location_count": "Places found",
    "key_hint": "Key hint",
    "environment": "Environment",
    "allowed_ips": "IP allowlist",
    "entry": "Allowlist entry",
    "entries": "Allowlist entries",
    "addresses": "Addresses it admits",
    "age_days": "Age in days",
    "max_age_days": "Maximum age in days",
    "created_at": "Created",
    "departures": "Team members who left since",
    "head_paths": "Files in HEAD",
    "prefix_length": "Prefix length",
    "threshold": "Widest allowed prefix",
    "problem": "Problem",
    "network": "Network",
    "old_key": "Old key",
    "new_key": "New key",
    "overlap_days": "Days both keys have been active",
    "rotation_overlap_days": "Allowed overlap in days",
    "pending_step": "Rotation step still to do",
    "old_last_used_at": "Old key last used",
    "environments_in_name": "Environments its name mentions",
    "url": "URL",
    "range": "Address range",
    "idle_days": "Days since last use",
    "stale_after_days": "Allowed idle days",
    "unused_grace_days": "Grace period in days",
}


def _words(value: Any) -> str:
    """A value as a person writes it: lists joined, nothing missing left as `null`."""
    if value is None or value == "" or value == [] or value == {}:
        return "none" if isinstance(value, list) else "not set"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, dict):
        if "name" in value and "left_at" in value:
            return f"{_words(value['name'])} (left {_words(value['left_at'])})"
        return ", ".join(f"{str(k).replace('_', ' ')} {_words(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return "; ".join(_words(v) for v in value)
    return str(value)


def _evidence_items(evidence: Any) -> list[tuple[str, str]]:
    if not evidence:
        return []
    items = []
    count = evidence.get("location_count")
    for name, value in evidence.items():
        if name in _HIDDEN_EVIDENCE:
            continue
        if name == "location_count" and count == len(evidence.get("locations") or ()):
            continue  # the list above already says how many
        label = _EVIDENCE_LABELS.get(name) or str(name).replace("_", " ").capitalize()
        if name in ("production", "staging", "development", "ci", "test"):
            label = f"In {name} files"
        items.append((label, _words(value)))
    return items


def _remedy(texts: list[str]) -> dict[str, Any]:
    """One remediation box for a card: each rule's own advice once, and the vendor's
    rotation steps once as a numbered list, however many of the rules end in them."""
    advice: list[str] = []
    rotate = False
    for text in texts:
        if ROTATION_TEXT in text:
            rotate = True
            text = text.replace(ROTATION_TEXT, "").strip().removesuffix(":").strip()
            if text and text[-1] not in ".!?":
                text += "."
        if text and text not in advice:
            advice.append(text)
    return {"advice": advice, "steps": list(ROTATION_STEPS) if rotate else []}


def _groups(findings: list[Finding]) -> list[dict[str, Any]]:
    """Within a practice: one group per secret or key, most severe first."""
    buckets: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        buckets[subject_of(finding)].append(finding)
    groups = []
    for subject, members in buckets.items():
        members.sort(key=sort_key)
        first = members[0]
        locations = [
            {
                "repo": f.repo,
                "path": f.path,
                "line": f.line,
                "commit": f.commit,
                "author_email": f.author_email,
                "date": f.date,
                "in_head": f.in_head,
                "disguise": f.disguise,
                "snippet": f.snippet,
            }
            for f in members
            if f.path
        ]
        evidence: list[tuple[str, str]] = []
        for f in members:
            shown = dict(f.evidence or {})
            if locations:
                shown.pop("locations", None)  # the table above lists them
                shown.pop("location_count", None)
            for item in _evidence_items(shown):
                if item not in evidence:
                    evidence.append(item)
        groups.append(
            {
                "anchor": anchor(int(first.practice), subject),
                "fingerprint": first.secret_sha256,
                "severity": max(f.severity for f in members).label,
                "rank": -max(f.severity for f in members),
                "redacted": first.redacted,
                "key_id": first.key_id,
                "key_name": first.key_name,
                "label": first.message or first.title,
                "findings": list(
                    {(f.rule_id, f.message, f.status, f.verification): f for f in members}.values()
                ),
                "locations": locations,
                "evidence": evidence[:40],
                "remedy": _remedy(list(dict.fromkeys(f.remediation for f in members))),
            }
        )
    groups.sort(key=lambda g: (g["rank"], g["redacted"] or g["key_name"] or ""))
    return groups


def _environment() -> Any:
    from jinja2 import Environment, FunctionLoader, select_autoescape

    return Environment(
        loader=FunctionLoader(_asset),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_trends(document: dict[str, Any], stream: IO[str], store: str | None = None) -> None:
    """The standalone trends page (`fastaudit trends --html`): charts only, no script."""
    from fastaudit import __version__
    from fastaudit.sanitize import RedactingWriter, clean

    document = clean(document, human=False)
    css = _asset("report.css")
    csp = content_security_policy(css, "").replace(
        f"script-src {_sha256_source('')}", "script-src 'none'"
    )
    guarded = RedactingWriter(stream, ())
    guarded.write(
        _environment()
        .get_template("trends.html.j2")
        .render(
            css=css,
            csp=csp,
            version=__version__,
            generated_at=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            window=document["window"],
            store=store,
            figures=charts.trends_figures(document),
        )
    )
    guarded.close()


def render(report: Report, stream: IO[str]) -> None:
    """Write the self-contained HTML report (no request, no script from elsewhere) to `stream`."""
    env = _environment()
    css, js = _asset("report.css"), _asset("report.js")
    findings = report.sorted_findings()
    summary = report.summary()
    by_practice: dict[Practice, list[Finding]] = defaultdict(list)
    for finding in findings:
        by_practice[finding.practice].append(finding)
    sections = [
        {"practice": int(p), "title": p.title, "groups": _groups(by_practice[p])}
        for p in Practice
        if by_practice.get(p)
    ]
    repo_names = sorted({f.repo for f in findings if f.repo})
    trends_figures = []
    if report.trends:
        trends_figures = charts.trends_figures(report.trends, include_lifecycle=False)
    lifecycle = None
    if report.key_lifecycle:
        as_of = str(report.parameters.get("as_of") or report.generated_at)[:10]
        lifecycle = charts.lifecycle_figure("key-lifecycle", report.key_lifecycle, as_of)
    tracked_open = None
    if report.trends and report.trends.get("runs"):
        tracked_open = report.trends["runs"][-1]["open_total"]
    template = env.get_template("report.html.j2")
    stream.write(
        template.render(
            report=report,
            css=css,
            js=js,
            csp=content_security_policy(css, js),
            summary=summary,
            scorecard=summary["scorecard"],
            sections=sections,
            rows=findings,
            todo=actions(findings),
            distinct_keys=report.counts().secrets,
            tracked_open=tracked_open,
            severities=[s.label for s in reversed(Severity)],
            repo_names=repo_names,
            trend=report.trend,
            trends_figures=trends_figures,
            trends_window=report.trends["window"] if report.trends else None,
            trends_store=report.parameters.get("db"),
            lifecycle=lifecycle,
            as_of=report.parameters.get("as_of"),
            inventory=report.parameters.get("inventory"),
            parameters=json.dumps(
                {k: v for k, v in report.parameters.items() if k not in ("versions",)},
                sort_keys=True,
            ),
        )
    )
