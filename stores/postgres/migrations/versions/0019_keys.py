"""Envelope encryption: agency keys (versioned, wrapped by the master key) and person keys
(wrapped by an agency key; deleted when the person is erased).

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def _tenant() -> sa.Column[object]:
    return sa.Column(
        "tenant_id", sa.Uuid(), sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False
    )


def _created() -> sa.Column[object]:
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    )


def upgrade() -> None:
    op.create_table(
        "agency_keys",
        _tenant(),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("wrapped", sa.LargeBinary(), nullable=False),
        _created(),
        sa.PrimaryKeyConstraint("tenant_id", "version", name="pk_agency_keys"),
    )
    op.create_table(
        "person_keys",
        _tenant(),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("subject_type", sa.String(20), nullable=False),
        sa.Column("agency_key_version", sa.Integer(), nullable=False),
        sa.Column("wrapped", sa.LargeBinary(), nullable=False),
        _created(),
        sa.PrimaryKeyConstraint("tenant_id", "subject_id", name="pk_person_keys"),
    )


def downgrade() -> None:
    op.drop_table("person_keys")
    op.drop_table("agency_keys")
