"""Country and currency codes upper-case everywhere, as domain.types now keeps them.

Candidates accepted any two characters as a country and requisitions only upper-case
letters; both now take two letters in either case and keep them upper-case. Codes
stored before are brought in line; a candidate's country that is not two letters (it
was never a code) is dropped, so every stored record reads back under the new type.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def _upper(table: str, column: str, key: str, pattern: str) -> None:
    op.execute(
        f"""
        UPDATE {table}
        SET {column} = CASE
            WHEN {column}->>'{key}' ~ '^[A-Za-z]{pattern}$'
                THEN jsonb_set({column}, '{{{key}}}', to_jsonb(upper({column}->>'{key}')))
            ELSE {column} - '{key}'
        END
        WHERE {column} ? '{key}' AND jsonb_typeof({column}->'{key}') = 'string'
          AND {column}->>'{key}' !~ '^[A-Z]{pattern}$'
        """
    )


def upgrade() -> None:
    _upper("candidates", "location", "country", "{2}")
    _upper("requisitions", "location", "country", "{2}")
    _upper("candidates", "desired_rate", "currency", "{3}")
    _upper("candidates", "desired_salary", "currency", "{3}")
    _upper("requisitions", "bill_rate", "currency", "{3}")
    _upper("requisitions", "salary", "currency", "{3}")


def downgrade() -> None:
    """Nothing to undo: upper-case codes were valid before too."""
