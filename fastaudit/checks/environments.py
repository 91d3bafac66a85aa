"""Practice 3, "Create separate keys per environment": FAST130 (a key not tied to exactly
one environment) and FAST004 (one leaked key found in files of several environments)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from fastaudit.checks.base import CheckContext, CheckResult, key_finding
from fastaudit.findings import RULES, Finding, Pass, Practice
from fastaudit.inventory import Inventory, environments_in_name


def check(inventory: Inventory, context: CheckContext) -> CheckResult:
    """Practice 3 over every active key: one environment per key."""
    result = CheckResult()
    for key in inventory.keys:
        if not key.active:
            continue
        problem = None
        if len(key.name_environments) > 1:
            problem = f"named for several environments ({', '.join(key.name_environments)})"
        elif key.environment is None:
            problem = "no environment given, and the name does not say which"
        elif key.name_environments and key.name_environments[0] != key.environment:
            problem = (
                f"the name says {key.name_environments[0]} but the environment is {key.environment}"
            )
        if problem:
            result.findings.append(
                key_finding(
                    "FAST130",
                    key,
                    severity=RULES["FAST130"].severity,
                    message=problem,
                    evidence={
                        "environment": key.environment,
                        "environments_in_name": list(key.name_environments),
                    },
                )
            )
        else:
            how = "inferred from the name" if key.environment_inferred else "given"
            result.passes.append(
                Pass(
                    Practice.SEPARATE_ENVIRONMENTS,
                    key.id,
                    key.name,
                    ("FAST130",),
                    f"tied to {key.environment} ({how})",
                )
            )
    result.findings.extend(shared_across_environments(context.leaks))
    return result


def path_environment(path: str) -> str | None:
    """The one environment a file belongs to by its path (config/staging.env), if any."""
    found = environments_in_name(path)
    return found[0] if len(found) == 1 else None


def shared_across_environments(leaks: Iterable[Finding]) -> list[Finding]:
    """FAST004: one finding per key found in files of more than one environment (judged by path)."""
    by_secret: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    redacted: dict[str, str | None] = {}
    for leak in leaks:
        if leak.secret_sha256 is None or leak.path is None:
            continue
        env = path_environment(leak.path)
        if env is None:
            continue
        where = f"{leak.repo}:{leak.path}" if leak.repo else leak.path
        by_secret[leak.secret_sha256][env].add(where)
        redacted[leak.secret_sha256] = leak.redacted
    findings = []
    for secret, envs in by_secret.items():
        if len(envs) < 2:
            continue
        names = sorted(envs)
        findings.append(
            Finding(
                rule_id="FAST004",
                severity=RULES["FAST004"].severity,
                source="inventory",
                secret_sha256=secret,
                redacted=redacted[secret],
                message=f"the same key is used in {' and '.join(names)} files",
                evidence={env: sorted(paths) for env, paths in sorted(envs.items())},
            )
        )
    return findings
