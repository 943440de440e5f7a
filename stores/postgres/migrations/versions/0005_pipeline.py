"""Submissions (the pipeline) and placements.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
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
        "submissions",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("candidate_id", sa.Uuid(), nullable=False),
        sa.Column(
            "requisition_id",
            sa.Uuid(),
            sa.ForeignKey("requisitions.id", name="fk_submissions_requisition_id_requisitions"),
            nullable=False,
        ),
        sa.Column("source", sa.String(60)),
        sa.Column("stage", sa.String(20), nullable=False),
        sa.Column("history", postgresql.JSONB(), nullable=False),
        *_audit(),
        sa.UniqueConstraint(
            "tenant_id",
            "candidate_id",
            "requisition_id",
            name="uq_submissions_candidate_requisition",
        ),
    )
    op.create_index(
        "ix_submissions_tenant_created", "submissions", ["tenant_id", "created_at", "id"]
    )
    op.create_index("ix_submissions_requisition", "submissions", ["requisition_id"])
    op.create_table(
        "placements",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column(
            "submission_id",
            sa.Uuid(),
            sa.ForeignKey("submissions.id", name="fk_placements_submission_id_submissions"),
            nullable=False,
        ),
        sa.Column("candidate_id", sa.Uuid(), nullable=False),
        sa.Column("requisition_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date()),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("currency", sa.String(3)),
        sa.Column("bill_rate", sa.Numeric(12, 2)),
        sa.Column("pay_rate", sa.Numeric(12, 2)),
        sa.Column("margin", sa.Numeric(12, 2)),
        sa.Column("markup", sa.Numeric(8, 4)),
        sa.Column("margin_percent", sa.Numeric(8, 4)),
        sa.Column("salary", sa.Numeric(12, 2)),
        sa.Column("fee_percent", sa.Numeric(5, 4)),
        sa.Column("fee", sa.Numeric(12, 2)),
        *_audit(),
        sa.UniqueConstraint("submission_id", name="uq_placements_submission_id"),
    )
    op.create_index("ix_placements_tenant_created", "placements", ["tenant_id", "created_at", "id"])
    op.create_index("ix_placements_requisition", "placements", ["requisition_id"])


def downgrade() -> None:
    op.drop_index("ix_placements_requisition", table_name="placements")
    op.drop_index("ix_placements_tenant_created", table_name="placements")
    op.drop_table("placements")
    op.drop_index("ix_submissions_requisition", table_name="submissions")
    op.drop_index("ix_submissions_tenant_created", table_name="submissions")
    op.drop_table("submissions")
