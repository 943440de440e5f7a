"""Candidates say whether they would relocate, which matching reads for onsite and hybrid
roles beyond a commute. Existing candidates have not said: false.

Revision ID: 0021_relocate
Revises: 0020
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021_relocate"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "candidates",
        sa.Column("willing_to_relocate", sa.Boolean(), nullable=False, server_default="false"),
    )


def downgrade() -> None:
    op.drop_column("candidates", "willing_to_relocate")
