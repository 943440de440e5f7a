"""Requisitions (job orders).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "requisitions",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column(
            "client_id",
            sa.Uuid(),
            sa.ForeignKey("clients.id", name="fk_requisitions_client_id_clients"),
            nullable=False,
        ),
        sa.Column(
            "contact_id",
            sa.Uuid(),
            sa.ForeignKey("contacts.id", name="fk_requisitions_contact_id_contacts"),
        ),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text()),
        sa.Column(
            "required_skills", postgresql.ARRAY(sa.Text()), nullable=False, server_default="{}"
        ),
        sa.Column(
            "nice_to_have_skills",
            postgresql.ARRAY(sa.Text()),
            nullable=False,
            server_default="{}",
        ),
        sa.Column("location", postgresql.JSONB()),
        sa.Column("employment_type", sa.String(20), nullable=False),
        sa.Column("openings", sa.Integer(), nullable=False),
        sa.Column("bill_rate", postgresql.JSONB()),
        sa.Column("salary", postgresql.JSONB()),
        sa.Column("fee_percent", sa.Numeric(5, 4)),
        sa.Column("priority", sa.String(10), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("status_reason", sa.String(500)),
        sa.Column("owner_id", sa.Uuid()),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("target_date", sa.Date()),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_requisitions_tenant_created", "requisitions", ["tenant_id", "created_at", "id"]
    )
    op.create_index("ix_requisitions_client", "requisitions", ["client_id"])


def downgrade() -> None:
    op.drop_index("ix_requisitions_client", table_name="requisitions")
    op.drop_index("ix_requisitions_tenant_created", table_name="requisitions")
    op.drop_table("requisitions")
