"""The audit log: an append-only hash chain per agency, and each chain's head.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

# The database refuses to change or remove an entry, whoever asks: the application never
# does, so a statement that tries is a mistake or an intrusion. (An owner or a superuser
# can still disable the trigger; the hash chain is what shows it was done.)
REFUSE = """
CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % is refused', TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'entries are never changed or deleted; see docs/security.md';
END
$$
"""


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(30), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("actor_kind", sa.String(20), nullable=False),
        sa.Column("address", sa.String(100)),
        sa.Column("subject_type", sa.String(30)),
        sa.Column("subject_id", sa.Uuid()),
        sa.Column("subject_ids", sa.ARRAY(sa.Uuid()), nullable=False, server_default="{}"),
        sa.Column(
            "detail",
            postgresql.JSONB(),
            nullable=False,
            server_default=sa.text("'{}'::jsonb"),
        ),
        sa.Column("prev_hash", sa.CHAR(64), nullable=False),
        sa.Column("hash", sa.CHAR(64), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "seq", name="pk_audit_log"),
        sa.UniqueConstraint("id", name="uq_audit_log_id"),
    )
    # `?subject_id=` finds a record's own entries and every list answer that returned it.
    op.create_index(
        "ix_audit_log_subject_ids", "audit_log", ["subject_ids"], postgresql_using="gin"
    )
    op.create_index("ix_audit_log_actor", "audit_log", ["tenant_id", "actor", "seq"])
    op.create_index("ix_audit_log_at", "audit_log", ["tenant_id", "at"])
    op.create_table(
        "audit_heads",
        sa.Column("tenant_id", sa.Uuid(), primary_key=True),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.CHAR(64), nullable=False),
    )
    op.execute(REFUSE)
    op.execute(
        "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change()"
    )
    op.execute(
        "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change()"
    )


def downgrade() -> None:
    op.drop_table("audit_heads")
    op.drop_table("audit_log")
    op.execute("DROP FUNCTION audit_log_refuse_change()")
