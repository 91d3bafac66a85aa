"""Reading saved JSON reports back: for `check --findings`, `report` and `--previous`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastaudit.errors import InputError
from fastaudit.findings import Finding, Pass

if TYPE_CHECKING:
    from fastaudit.report import Report


@dataclass
class SavedReport:
    """A JSON report read back: its findings, passes and the whole document."""

    document: dict[str, Any]
    findings: list[Finding] = field(default_factory=list)
    passes: list[Pass] = field(default_factory=list)


_SHAPES: dict[str, type] = {
    "findings": list,
    "passes": list,
    "fixed": list,
    "warnings": list,
    "notes": list,
    "repos": list,
    "stats": dict,
    "parameters": dict,
    "trend": dict,
    "tool": dict,
}
_KIND_NAMES: dict[type, str] = {list: "a list", dict: "an object"}


def load(path: Path) -> SavedReport:
    """A saved JSON report of any fastaudit version with this schema; InputError otherwise."""
    from fastaudit import jsonio

    document = jsonio.load(path, "report")
    if not isinstance(document, dict) or "schema_version" not in document:
        raise InputError(f"{path} is not a fastaudit JSON report (no schema_version)")
    major = str(document["schema_version"]).split(".", 1)[0]
    if major != "1":
        raise InputError(f"{path}: unsupported report schema_version {document['schema_version']}")
    saved = SavedReport(document)
    for name, kind in _SHAPES.items():
        value = document.get(name)
        if value is not None and not isinstance(value, kind):
            raise InputError(f"{path}: field {name!r} must be {_KIND_NAMES[kind]}")
    for name in ("warnings", "notes"):
        if not all(isinstance(v, str) for v in document.get(name) or []):
            raise InputError(f"{path}: field {name!r} must be a list of strings")
    if not all(isinstance(r, dict) for r in document.get("repos") or []):
        raise InputError(f"{path}: field 'repos' must be a list of objects")
    for index, item in enumerate(document.get("findings") or [], 1):
        try:
            saved.findings.append(Finding.from_dict(item))
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"{path}: finding {index}: {exc}") from None
    for index, item in enumerate(document.get("passes") or [], 1):
        try:
            saved.passes.append(Pass.from_dict(item))
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"{path}: pass {index}: {exc}") from None
    return saved


def load_report(path: Path) -> Report:
    """A saved JSON report as a `Report`, ready to render in any format."""
    from fastaudit.report import Report

    saved = load(path)
    doc = saved.document
    fixed = []
    for item in doc.get("fixed") or []:
        try:
            fixed.append(Finding.from_dict(item))
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"{path}: fixed finding: {exc}") from None
    tool = doc.get("tool") or {}
    return Report(
        command=str(doc.get("command", "report")),
        findings=saved.findings,
        root=doc.get("root"),
        generated_at=str(doc.get("generated_at", "")),
        stats=dict(doc.get("stats") or {}),
        warnings=list(doc.get("warnings") or []),
        parameters=dict(doc.get("parameters") or {}),
        tool_version=str(tool.get("version", "")),
        passes=saved.passes,
        notes=list(doc.get("notes") or []),
        repos=list(doc.get("repos") or []),
        fixed=fixed,
        trend=doc.get("trend"),
        # The sections the store and the inventory added: re-rendered, never dropped.
        trends=doc.get("trends") if isinstance(doc.get("trends"), dict) else None,
        key_lifecycle=[k for k in doc.get("key_lifecycle") or [] if isinstance(k, dict)]
        if isinstance(doc.get("key_lifecycle"), list)
        else None,
    )
