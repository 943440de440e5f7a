"""Tenants, users, candidates, contact points and the processed-command ledger.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tenants",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("slug", sa.String(63), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.UniqueConstraint("slug", name="uq_tenants_slug"),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column(
            "tenant_id",
            sa.Uuid(),
            sa.ForeignKey("tenants.id", name="fk_users_tenant_id_tenants"),
            nullable=False,
        ),
        sa.Column("username", sa.String(150), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("role", sa.String(30), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False, server_default="true"),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.UniqueConstraint("username", name="uq_users_username"),
    )
    op.create_table(
        "candidates",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("first_name", sa.String(100), nullable=False),
        sa.Column("last_name", sa.String(100), nullable=False),
        sa.Column("emails", postgresql.ARRAY(sa.Text()), nullable=False, server_default="{}"),
        sa.Column("phones", postgresql.ARRAY(sa.Text()), nullable=False, server_default="{}"),
        sa.Column("headline", sa.String(200)),
        sa.Column("location", postgresql.JSONB()),
        sa.Column("source", sa.String(30)),
        sa.Column("owner_id", sa.Uuid()),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("available_from", sa.Date()),
        sa.Column("desired_rate", postgresql.JSONB()),
        sa.Column("desired_salary", postgresql.JSONB()),
        sa.Column("work_authorization", sa.String(200)),
        sa.Column("tags", postgresql.ARRAY(sa.Text()), nullable=False, server_default="{}"),
        sa.Column("consent", postgresql.JSONB()),
        sa.Column("merged_into", sa.Uuid()),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_candidates_tenant_created", "candidates", ["tenant_id", "created_at", "id"])
    op.create_table(
        "candidate_contact_points",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("value", sa.String(254), nullable=False),
        sa.Column("candidate_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "kind", "value", name="pk_candidate_contact_points"),
    )
    op.create_index("ix_contact_points_candidate", "candidate_contact_points", ["candidate_id"])
    op.create_table(
        "processed_commands",
        sa.Column("command_id", sa.Uuid(), primary_key=True),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(100), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("resource_id", sa.Uuid()),
        sa.Column("error", postgresql.JSONB()),
        sa.Column("events", postgresql.JSONB(), nullable=False, server_default="[]"),
        sa.Column(
            "processed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )


def downgrade() -> None:
    op.drop_table("processed_commands")
    op.drop_index("ix_contact_points_candidate", table_name="candidate_contact_points")
    op.drop_table("candidate_contact_points")
    op.drop_index("ix_candidates_tenant_created", table_name="candidates")
    op.drop_table("candidates")
    op.drop_table("users")
    op.drop_table("tenants")
