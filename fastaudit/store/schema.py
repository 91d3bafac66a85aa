"""The audit store's tables (SQLAlchemy Core), as of the newest migration.

Rows record changes, not snapshots: a finding, an occurrence, a repository's status and a
check's outcome are each one row whose `last_run` moves forward while nothing changes, and
a new row (or an event) only when something does. That keeps the store linear in findings
rather than in runs x repositories. Keys themselves are never stored: a secret is its
SHA-256 fingerprint and the redacted form every report already shows.

The migrations under `migrations/versions` create exactly these tables; a test compares the
two so that they cannot drift apart.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("run_uid", String(64), nullable=False, unique=True),
    Column("command", String(16), nullable=False),
    Column("as_of", DateTime(timezone=True), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("tool_version", String(32), nullable=False),
    Column("parameters", Text, nullable=False),
    Column("scope", Text, nullable=False),
    Column("repositories", Integer, nullable=False),
    Column("inventory_given", Boolean, nullable=False),
    Column("findings_open", Integer, nullable=False),
)

repositories = Table(
    "repositories",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(512), nullable=False, unique=True),
    Column("location", Text, nullable=False),
    Column("first_run", Integer, ForeignKey("runs.id"), nullable=False),
    Column("last_run", Integer, ForeignKey("runs.id"), nullable=False),
)

# One row per stretch of consecutive runs in which a repository kept one status.
repo_status = Table(
    "repo_status",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("repo_id", Integer, ForeignKey("repositories.id"), nullable=False),
    Column("status", String(16), nullable=False),
    Column("failure", String(32)),
    Column("error", Text),
    Column("first_run", Integer, ForeignKey("runs.id"), nullable=False),
    Column("last_run", Integer, ForeignKey("runs.id"), nullable=False),
    Index("ix_repo_status_repo", "repo_id", "last_run"),
)

secrets = Table(
    "secrets",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("fingerprint", String(64), nullable=False, unique=True),
    Column("redacted", String(128), nullable=False),
    Column("first_run", Integer, ForeignKey("runs.id"), nullable=False),
)

occurrences = Table(
    "occurrences",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("secret_id", Integer, ForeignKey("secrets.id"), nullable=False),
    Column("repo_id", Integer, ForeignKey("repositories.id"), nullable=False),
    Column("path", Text, nullable=False),
    Column("commit", String(64), nullable=False),
    Column("line", Integer),
    Column("in_head", Boolean),
    Column("first_run", Integer, ForeignKey("runs.id"), nullable=False),
    Column("last_run", Integer, ForeignKey("runs.id"), nullable=False),
    UniqueConstraint("secret_id", "repo_id", "path", "commit", name="uq_occurrence"),
)

findings = Table(
    "findings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("identity", String(64), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),
    Column("rule_id", String(16), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("secret_id", Integer, ForeignKey("secrets.id")),
    Column("key_id", String(256)),
    Column("repo_id", Integer, ForeignKey("repositories.id")),
    Column("path", Text),
    Column("title", Text, nullable=False),
    Column("state", String(8), nullable=False),
    Column("first_seen_at", DateTime(timezone=True), nullable=False),
    Column("first_run", Integer, ForeignKey("runs.id"), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
    Column("last_run", Integer, ForeignKey("runs.id"), nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("fixed_at", DateTime(timezone=True)),
    Column("fixed_run", Integer, ForeignKey("runs.id")),
    Column("reopened", Integer, nullable=False),
    Column("in_head", Boolean),
    Column("left_head_at", DateTime(timezone=True)),
    Index("ix_findings_state", "state"),
    Index("ix_findings_key", "key_id"),  # revision 0002
)

# What happened to a finding, when: opened, fixed, reopened, severity, left_head, back_in_head.
finding_events = Table(
    "finding_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("finding_id", Integer, ForeignKey("findings.id"), nullable=False),
    Column("run_id", Integer, ForeignKey("runs.id"), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("severity", String(16), nullable=False),
    Index("ix_finding_events_finding", "finding_id"),
    Index("ix_finding_events_run", "run_id"),
)

# Added by revision 0002.
inventory_keys = Table(
    "inventory_keys",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key_id", String(256), nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("environment", String(32)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("deleted_at", DateTime(timezone=True)),
    Column("last_used_at", DateTime(timezone=True)),
    Column("allowed_ips", Integer, nullable=False),
    Column("first_run", Integer, ForeignKey("runs.id"), nullable=False),
    Column("last_run", Integer, ForeignKey("runs.id"), nullable=False),
)

# One row per stretch of consecutive inventory runs in which a check kept one outcome.
check_results = Table(
    "check_results",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("inventory_key_id", Integer, ForeignKey("inventory_keys.id"), nullable=False),
    Column("rule_id", String(16), nullable=False),
    Column("outcome", String(8), nullable=False),
    Column("first_run", Integer, ForeignKey("runs.id"), nullable=False),
    Column("last_run", Integer, ForeignKey("runs.id"), nullable=False),
    Index("ix_check_results_key", "inventory_key_id", "rule_id", "last_run"),
)
