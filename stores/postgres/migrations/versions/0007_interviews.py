"""Interviews and their feedback scorecards.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
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
        "interviews",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column(
            "submission_id",
            sa.Uuid(),
            sa.ForeignKey("submissions.id", name="fk_interviews_submission_id_submissions"),
            nullable=False,
        ),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("interviewers", postgresql.ARRAY(sa.Text()), nullable=False, server_default="{}"),
        sa.Column("location", sa.String(500)),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        *_audit(),
    )
    op.create_index("ix_interviews_submission", "interviews", ["submission_id", "scheduled_at"])
    op.create_table(
        "feedback",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column(
            "interview_id",
            sa.Uuid(),
            sa.ForeignKey("interviews.id", name="fk_feedback_interview_id_interviews"),
            nullable=False,
        ),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("recommendation", sa.String(20), nullable=False),
        sa.Column("notes", sa.Text()),
        sa.Column("author", sa.String(250), nullable=False),
        *_audit(),
    )
    op.create_index("ix_feedback_interview", "feedback", ["interview_id"])


def downgrade() -> None:
    op.drop_index("ix_feedback_interview", table_name="feedback")
    op.drop_table("feedback")
    op.drop_index("ix_interviews_submission", table_name="interviews")
    op.drop_table("interviews")
