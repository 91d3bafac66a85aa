"""Inventory keys and each check's outcome, so the store can draw key lifecycles and say
when a hygiene finding passed again.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "inventory_keys",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key_id", sa.String(256), nullable=False, unique=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("environment", sa.String(32)),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("deleted_at", _WHEN),
        sa.Column("last_used_at", _WHEN),
        sa.Column("allowed_ips", sa.Integer, nullable=False),
        sa.Column("first_run", sa.Integer, sa.ForeignKey("runs.id"), nullable=False),
        sa.Column("last_run", sa.Integer, sa.ForeignKey("runs.id"), nullable=False),
    )
    op.create_table(
        "check_results",
        sa.Column(
            "inventory_key_id", sa.Integer, sa.ForeignKey("inventory_keys.id"), nullable=False
        ),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("rule_id", sa.String(16), nullable=False),
        sa.Column("outcome", sa.String(8), nullable=False),
        sa.Column("first_run", sa.Integer, sa.ForeignKey("runs.id"), nullable=False),
        sa.Column("last_run", sa.Integer, sa.ForeignKey("runs.id"), nullable=False),
    )
    op.create_index(
        "ix_check_results_key", "check_results", ["inventory_key_id", "rule_id", "last_run"]
    )
    # Hygiene findings are looked up by key when a check passes again.
    op.create_index("ix_findings_key", "findings", ["key_id"])


def downgrade() -> None:
    op.drop_index("ix_findings_key", "findings")
    op.drop_table("check_results")
    op.drop_table("inventory_keys")
