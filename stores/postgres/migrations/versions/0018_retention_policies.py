"""Per-agency retention policies (consent's `expires_at` lives in the candidate's consent
JSONB and needs no column).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
# 0017 is another branch's; whoever merges both re-chains this one after it.
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "retention_policies",
        sa.Column(
            "tenant_id",
            sa.Uuid(),
            sa.ForeignKey("tenants.id", name="fk_retention_policies_tenant_id_tenants"),
            primary_key=True,
        ),
        # NULL: the policy is off (as for an agency without a row).
        sa.Column("inactive_months", sa.Integer()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(250), nullable=False),
        sa.CheckConstraint(
            "inactive_months BETWEEN 1 AND 600", name="ck_retention_policies_inactive_months"
        ),
    )


def downgrade() -> None:
    op.drop_table("retention_policies")
