"""Saved searches and their alerts.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "saved_searches",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("owner", sa.String(250), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("q", sa.Text(), nullable=False),
        sa.Column("filters", postgresql.JSONB(), nullable=False),
        sa.Column("alerts", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_saved_searches_owner", "saved_searches", ["tenant_id", "owner"])
    op.create_table(
        "saved_search_matches",
        sa.Column("saved_search_id", sa.Uuid(), nullable=False),
        sa.Column("candidate_id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("owner", sa.String(250), nullable=False),
        sa.Column("matched_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("saved_search_id", "candidate_id"),
    )
    op.create_index(
        "ix_saved_search_matches_feed", "saved_search_matches", ["tenant_id", "owner", "matched_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_saved_search_matches_feed", table_name="saved_search_matches")
    op.drop_table("saved_search_matches")
    op.drop_index("ix_saved_searches_owner", table_name="saved_searches")
    op.drop_table("saved_searches")
