"""The command ledger is keyed by agency and command id.

A command id is chosen by whoever sends the command (an integration, a job); keyed by the
id alone, one agency's id could replay another agency's recorded outcome.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_constraint("pk_processed_commands", "processed_commands", type_="primary")
    op.create_primary_key(
        "pk_processed_commands", "processed_commands", ["tenant_id", "command_id"]
    )


def downgrade() -> None:
    op.drop_constraint("pk_processed_commands", "processed_commands", type_="primary")
    op.create_primary_key("pk_processed_commands", "processed_commands", ["command_id"])
