"""Why a placement ended (completed or terminated).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("placements", sa.Column("end_reason", sa.Text()))


def downgrade() -> None:
    op.drop_column("placements", "end_reason")
