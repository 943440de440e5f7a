"""The changes feed: one row per event, ids and versions only, numbered per agency; and
the indexes that page the big lists by `updated_at` (`?sort=updated_at&updated_since=…`).

Revision ID: 0022
Revises: 0020
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
# 0021 is another branch's; whoever merges both re-chains this one after it.
down_revision = "0021"
branch_labels = None
depends_on = None


# The lists a system syncs from, paged by (updated_at, id) as they are by (created_at, id).
UPDATED_INDEXES = ("candidates", "clients", "requisitions", "submissions", "placements")


def upgrade() -> None:
    for table in UPDATED_INDEXES:
        op.create_index(f"ix_{table}_tenant_updated", table, ["tenant_id", "updated_at", "id"])
    op.create_table(
        "changes",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(100), nullable=False),
        sa.Column("resource_type", sa.String(50), nullable=False),
        sa.Column("resource_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.PrimaryKeyConstraint("tenant_id", "sequence", name="pk_changes"),
        sa.UniqueConstraint("event_id", name="uq_changes_event_id"),
    )
    # The version before an erasure; the rows the retention run prunes.
    op.create_index("ix_changes_resource", "changes", ["tenant_id", "resource_type", "resource_id"])
    op.create_index("ix_changes_recorded", "changes", ["tenant_id", "recorded_at"])
    op.create_table(
        "change_heads",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", name="pk_change_heads"),
    )


def downgrade() -> None:
    for table in UPDATED_INDEXES:
        op.drop_index(f"ix_{table}_tenant_updated", table_name=table)
    op.drop_table("change_heads")
    op.drop_index("ix_changes_recorded", table_name="changes")
    op.drop_index("ix_changes_resource", table_name="changes")
    op.drop_table("changes")
