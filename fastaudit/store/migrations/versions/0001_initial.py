"""The first audit store: runs, repositories and their status, secrets by fingerprint,
occurrences, findings and their events.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("run_uid", sa.String(64), nullable=False, unique=True),
        sa.Column("command", sa.String(16), nullable=False),
        sa.Column("as_of", _WHEN, nullable=False),
        sa.Column("recorded_at", _WHEN, nullable=False),
        sa.Column("tool_version", sa.String(32), nullable=False),
        sa.Column("parameters", sa.Text, nullable=False),
        sa.Column("scope", sa.Text, nullable=False),
        sa.Column("repositories", sa.Integer, nullable=False),
        sa.Column("inventory_given", sa.Boolean, nullable=False),
        sa.Column("findings_open", sa.Integer, nullable=False),
    )
    op.create_table(
        "repositories",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(512), nullable=False, unique=True),
        sa.Column("location", sa.Text, nullable=False),
        sa.Column("first_run", sa.Integer, sa.ForeignKey("runs.id"), nullable=False),
        sa.Column("last_run", sa.Integer, sa.ForeignKey("runs.id"), nullable=False),
    )
    op.create_table(
        "repo_status",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("repo_id", sa.Integer, sa.ForeignKey("repositories.id"), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("failure", sa.String(32)),
        sa.Column("error", sa.Text),
        sa.Column("first_run", sa.Integer, sa.ForeignKey("runs.id"), nullable=False),
        sa.Column("last_run", sa.Integer, sa.ForeignKey("runs.id"), nullable=False),
    )
    op.create_index("ix_repo_status_repo", "repo_status", ["repo_id", "last_run"])
    op.create_table(
        "secrets",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False, unique=True),
        sa.Column("redacted", sa.String(128), nullable=False),
        sa.Column("first_run", sa.Integer, sa.ForeignKey("runs.id"), nullable=False),
    )
    op.create_table(
        "occurrences",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("secret_id", sa.Integer, sa.ForeignKey("secrets.id"), nullable=False),
        sa.Column("repo_id", sa.Integer, sa.ForeignKey("repositories.id"), nullable=False),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("commit", sa.String(64), nullable=False),
        sa.Column("line", sa.Integer),
        sa.Column("in_head", sa.Boolean),
        sa.Column("first_run", sa.Integer, sa.ForeignKey("runs.id"), nullable=False),
        sa.Column("last_run", sa.Integer, sa.ForeignKey("runs.id"), nullable=False),
        sa.UniqueConstraint("secret_id", "repo_id", "path", "commit", name="uq_occurrence"),
    )
    op.create_table(
        "findings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("identity", sa.String(64), nullable=False, unique=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("rule_id", sa.String(16), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("secret_id", sa.Integer, sa.ForeignKey("secrets.id")),
        sa.Column("key_id", sa.String(256)),
        sa.Column("repo_id", sa.Integer, sa.ForeignKey("repositories.id")),
        sa.Column("path", sa.Text),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("first_seen_at", _WHEN, nullable=False),
        sa.Column("first_run", sa.Integer, sa.ForeignKey("runs.id"), nullable=False),
        sa.Column("last_seen_at", _WHEN, nullable=False),
        sa.Column("last_run", sa.Integer, sa.ForeignKey("runs.id"), nullable=False),
        sa.Column("opened_at", _WHEN, nullable=False),
        sa.Column("fixed_at", _WHEN),
        sa.Column("fixed_run", sa.Integer, sa.ForeignKey("runs.id")),
        sa.Column("reopened", sa.Integer, nullable=False),
        sa.Column("in_head", sa.Boolean),
        sa.Column("left_head_at", _WHEN),
    )
    op.create_index("ix_findings_state", "findings", ["state"])
    op.create_table(
        "finding_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("finding_id", sa.Integer, sa.ForeignKey("findings.id"), nullable=False),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id"), nullable=False),
        sa.Column("at", _WHEN, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
    )
    op.create_index("ix_finding_events_finding", "finding_events", ["finding_id"])
    op.create_index("ix_finding_events_run", "finding_events", ["run_id"])


def downgrade() -> None:
    for table in (
        "finding_events",
        "findings",
        "occurrences",
        "secrets",
        "repo_status",
        "repositories",
        "runs",
    ):
        op.drop_table(table)
