"""Practice 2, "Use IP allowlists in production": FAST101-FAST104.

Classification of address ranges uses explicit tables rather than `ipaddress.is_private`,
whose meaning has changed between Python releases: a report must not change with the
interpreter.
"""

from __future__ import annotations

import ipaddress
from itertools import combinations

from fastaudit.checks.base import CheckContext, CheckResult, key_finding
from fastaudit.findings import Finding, Pass, Practice, Severity
from fastaudit.inventory import Inventory, InventoryKey

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

_ANY = {ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0")}
_UNSPECIFIED = {ipaddress.ip_network("0.0.0.0/32"), ipaddress.ip_network("::/128")}

# Ranges from which no public client can ever reach Tools.FAST.
_NEVER_PUBLIC: tuple[tuple[str, str], ...] = (
    ("10.0.0.0/8", "private (RFC 1918)"),
    ("172.16.0.0/12", "private (RFC 1918)"),
    ("192.168.0.0/16", "private (RFC 1918)"),
    ("100.64.0.0/10", "carrier-grade NAT (RFC 6598)"),
    ("127.0.0.0/8", "loopback"),
    ("169.254.0.0/16", "link-local"),
    ("0.0.0.0/8", "'this network' (reserved)"),
    ("192.0.0.0/24", "IETF protocol assignments (reserved)"),
    ("192.0.2.0/24", "documentation (RFC 5737)"),
    ("198.51.100.0/24", "documentation (RFC 5737)"),
    ("203.0.113.0/24", "documentation (RFC 5737)"),
    ("198.18.0.0/15", "benchmarking (reserved)"),
    ("224.0.0.0/4", "multicast"),
    ("240.0.0.0/4", "reserved"),
    ("::1/128", "loopback"),
    ("fc00::/7", "unique local (private)"),
    ("fe80::/10", "link-local"),
    ("ff00::/8", "multicast"),
    ("2001:db8::/32", "documentation (RFC 3849)"),
    ("::ffff:0:0/96", "IPv4-mapped (never a client address)"),
)
_NEVER_PUBLIC_NETS = tuple((ipaddress.ip_network(n), why) for n, why in _NEVER_PUBLIC)


def never_public(net: Network) -> str | None:
    """Why no public client can fall in `net`, or None."""
    for special, why in _NEVER_PUBLIC_NETS:
        if net.version == special.version and net.subnet_of(special):  # type: ignore[arg-type]
            return why
    return None


def _parsed_entries(key: InventoryKey, findings: list[Finding]) -> list[tuple[str, Network]]:
    """Each allowlist entry with the network it means; a malformed entry (FAST103) is
    dropped, one with host bits set (FAST103) is kept as the network it widens to."""
    parsed: list[tuple[str, Network]] = []
    for entry in key.allowed_ips:
        try:
            net = ipaddress.ip_network(entry, strict=True)
        except ValueError:
            try:
                loose = ipaddress.ip_network(entry, strict=False)
            except ValueError:
                findings.append(
                    key_finding(
                        "FAST103",
                        key,
                        f"{entry!r} is not an IP address or CIDR range",
                        {"entry": entry, "problem": "malformed"},
                    )
                )
                continue
            findings.append(
                key_finding(
                    "FAST103",
                    key,
                    f"{entry} has host bits set: it means {loose}, which may not be what was "
                    "intended",
                    {"entry": entry, "problem": "host bits set", "network": str(loose)},
                )
            )
            net = loose
        parsed.append((entry, net))
    return parsed


def check_key(key: InventoryKey, context: CheckContext) -> tuple[list[Finding], str | None]:
    """Findings for one key, and the pass reason when there are none."""
    cfg = context.config
    findings: list[Finding] = []
    production = key.environment in cfg.production_environments or key.environment == "production"
    if not key.allowed_ips:
        if production:
            findings.append(
                key_finding(
                    "FAST101",
                    key,
                    "production key accepts requests from any address (no IPs configured)",
                    {"environment": key.environment, "allowed_ips": []},
                )
            )
            return findings, None
        return (
            findings,
            f"no allowlist, which is allowed for a {key.environment or 'non-production'} key",
        )

    parsed = _parsed_entries(key, findings)

    for entry, net in parsed:
        if net in _ANY or net in _UNSPECIFIED:
            findings.append(
                key_finding(
                    "FAST102",
                    key,
                    f"{entry} admits every address",
                    {"entry": entry, "addresses": net.num_addresses if net in _ANY else "all"},
                    Severity.HIGH,
                )
            )
            continue
        reason = never_public(net)
        if reason:
            findings.append(
                key_finding(
                    "FAST104",
                    key,
                    f"{entry} is {reason}: no public client matches it",
                    {"entry": entry, "range": reason},
                )
            )
            continue
        limit = cfg.wide_ipv4_prefix if net.version == 4 else cfg.wide_ipv6_prefix
        if net.prefixlen < limit:
            findings.append(
                key_finding(
                    "FAST102",
                    key,
                    f"{entry} admits {net.num_addresses:,} addresses (wider than /{limit})",
                    {
                        "entry": entry,
                        "prefix_length": net.prefixlen,
                        "threshold": f"/{limit}",
                        "addresses": net.num_addresses,
                    },
                )
            )

    for (first, a), (second, b) in combinations(parsed, 2):
        if a.version != b.version or a in _ANY or b in _ANY:
            continue  # "admits everything" is already the finding
        if a == b:
            problem = "duplicate"
        elif a.subnet_of(b) or b.subnet_of(a):  # type: ignore[arg-type]
            problem = "overlapping"
        else:
            continue
        findings.append(
            key_finding(
                "FAST103",
                key,
                f"{first} and {second} are {problem} entries",
                {"entries": [first, second], "problem": problem},
                Severity.LOW,
            )
        )
    if findings:
        return findings, None
    return (
        findings,
        f"{len(parsed)} allowlist entr{'y' if len(parsed) == 1 else 'ies'}, all narrow and public",
    )


def check(inventory: Inventory, context: CheckContext) -> CheckResult:
    """Practice 2 over every active key: production keys need an allowlist, and each entry must be
    well formed, narrow and able to match a public client."""
    result = CheckResult()
    for key in inventory.keys:
        if not key.active:
            continue
        findings, reason = check_key(key, context)
        result.findings.extend(findings)
        if reason is not None:
            result.passes.append(
                Pass(
                    Practice.IP_ALLOWLISTS,
                    key.id,
                    key.name,
                    ("FAST101", "FAST102", "FAST103", "FAST104"),
                    reason,
                )
            )
    return result
