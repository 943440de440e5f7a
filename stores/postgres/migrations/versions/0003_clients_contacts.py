"""Client companies and their contacts.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _audit() -> list[sa.Column[object]]:
    return [
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "clients",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("industry", sa.String(200)),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("default_fee_percent", sa.Numeric(5, 4)),
        sa.Column("payment_terms", sa.String(200)),
        sa.Column("owner_id", sa.Uuid()),
        *_audit(),
    )
    op.create_index("ix_clients_tenant_created", "clients", ["tenant_id", "created_at", "id"])
    op.create_table(
        "contacts",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column(
            "client_id",
            sa.Uuid(),
            sa.ForeignKey("clients.id", name="fk_contacts_client_id_clients"),
            nullable=False,
        ),
        sa.Column("first_name", sa.String(200), nullable=False),
        sa.Column("last_name", sa.String(200), nullable=False),
        sa.Column("title", sa.String(200)),
        sa.Column("email", sa.String(254)),
        sa.Column("phone", sa.String(40)),
        sa.Column("role", sa.String(20), nullable=False),
        *_audit(),
    )
    op.create_index("ix_contacts_client_created", "contacts", ["client_id", "created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_contacts_client_created", table_name="contacts")
    op.drop_table("contacts")
    op.drop_index("ix_clients_tenant_created", table_name="clients")
    op.drop_table("clients")
