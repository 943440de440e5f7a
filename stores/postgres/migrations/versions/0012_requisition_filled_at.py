"""When a requisition was filled, for time-to-fill.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("requisitions", sa.Column("filled_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    op.drop_column("requisitions", "filled_at")
