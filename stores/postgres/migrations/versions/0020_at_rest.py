"""Encryption at rest: contact points become keyed blind indexes, the duplicate finder gets
blind match keys, client contacts' e-mail and phone hold sealed text, and a person key must
name an agency key version that exists (so a rotation cannot delete one still in use).

Schema only. The rows already there are sealed and indexed by `refactortrack keys
backfill`, which `refactortrack migrate` runs after this: sealing needs DATA_MASTER_KEY and
the app's keyring, and resume files live in MongoDB, which no Postgres transaction reaches
(docs/data.md, "Encryption at rest"). Until then, a contact point with `key_version` 0 still
holds its value, and every reader takes a value that is not sealed as it is.

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.alter_column("candidate_contact_points", "value", new_column_name="digest")
    op.add_column(
        "candidate_contact_points",
        sa.Column("key_version", sa.Integer(), nullable=False, server_default="0"),
    )
    op.create_table(
        "candidate_match_keys",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("candidate_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("digest", sa.Text(), nullable=False),
        sa.Column("key_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id", "candidate_id", "kind", "digest", name="pk_candidate_match_keys"
        ),
    )
    op.create_index(
        "ix_candidate_match_keys_tenant_id", "candidate_match_keys", ["tenant_id", "digest"]
    )
    # Sealed text is longer than the value it seals.
    op.alter_column("contacts", "email", type_=sa.Text(), existing_type=sa.String(254))
    op.alter_column("contacts", "phone", type_=sa.Text(), existing_type=sa.String(40))
    op.create_index("ix_person_keys_tenant_id", "person_keys", ["tenant_id", "agency_key_version"])
    op.create_foreign_key(
        "fk_person_keys_tenant_id_agency_keys",
        "person_keys",
        "agency_keys",
        ["tenant_id", "agency_key_version"],
        ["tenant_id", "version"],
    )


def downgrade() -> None:
    # The schema goes back; values sealed meanwhile stay sealed.
    op.drop_constraint("fk_person_keys_tenant_id_agency_keys", "person_keys", type_="foreignkey")
    op.drop_index("ix_person_keys_tenant_id", table_name="person_keys")
    op.alter_column("contacts", "phone", type_=sa.String(40), existing_type=sa.Text())
    op.alter_column("contacts", "email", type_=sa.String(254), existing_type=sa.Text())
    op.drop_index("ix_candidate_match_keys_tenant_id", table_name="candidate_match_keys")
    op.drop_table("candidate_match_keys")
    op.drop_column("candidate_contact_points", "key_version")
    op.alter_column("candidate_contact_points", "digest", new_column_name="value")
