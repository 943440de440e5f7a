"""Webhooks and their deliveries.

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0021"
# Whoever merges the branches re-chains this one after the last of theirs.
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webhooks",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column(
            "tenant_id",
            sa.Uuid(),
            sa.ForeignKey("tenants.id", ondelete="CASCADE", name="fk_webhooks_tenant_id_tenants"),
            nullable=False,
        ),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("events", sa.ARRAY(sa.Text()), nullable=False),
        sa.Column("description", sa.Text()),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("disabled_reason", sa.String(50)),
        sa.Column("disabled_at", sa.DateTime(timezone=True)),
        sa.Column("last_success_at", sa.DateTime(timezone=True)),
        sa.Column("notice_pending", sa.Boolean(), nullable=False, server_default="false"),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(250), nullable=False),
        sa.CheckConstraint("status IN ('active', 'disabled')", name="ck_webhooks_status"),
    )
    op.create_index("ix_webhooks_tenant_id", "webhooks", ["tenant_id", "created_at", "id"])
    # The disabled webhooks whose `webhook.disabled` is still to be published.
    op.create_index(
        "ix_webhooks_notice_pending",
        "webhooks",
        ["id"],
        postgresql_where=sa.text("notice_pending"),
    )
    op.execute("CREATE SEQUENCE webhook_deliveries_seq")
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column(
            "seq",
            sa.BigInteger(),
            nullable=False,
            unique=True,
            server_default=sa.text("nextval('webhook_deliveries_seq')"),
        ),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column(
            "webhook_id",
            sa.Uuid(),
            sa.ForeignKey(
                "webhooks.id", ondelete="CASCADE", name="fk_webhook_deliveries_webhook_id_webhooks"
            ),
            nullable=False,
        ),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("aggregate_id", sa.Uuid(), nullable=False),
        # The event envelope as it was on its topic: personal fields still sealed with
        # the person's key, opened only when sent (docs/integrations.md#webhooks).
        sa.Column("event", JSONB(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_response_code", sa.Integer()),
        sa.Column("last_error", sa.String(300)),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True)),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True)),
        sa.Column("period_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True)),
        sa.Column("delivered_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("webhook_id", "event_id", name="uq_webhook_deliveries_webhook_event"),
        sa.CheckConstraint(
            "status IN ('pending', 'delivered', 'failed')", name="ck_webhook_deliveries_status"
        ),
    )
    op.execute("ALTER SEQUENCE webhook_deliveries_seq OWNED BY webhook_deliveries.seq")
    op.create_index(
        "ix_webhook_deliveries_webhook_id",
        "webhook_deliveries",
        ["webhook_id", "created_at", "id"],
    )
    # What the dispatcher looks for: due deliveries, and the earlier pending ones of the
    # same endpoint and aggregate that hold a later one back.
    op.create_index(
        "ix_webhook_deliveries_due",
        "webhook_deliveries",
        ["next_attempt_at"],
        postgresql_where=sa.text("status = 'pending'"),
    )
    # The ended ones, pruned by age (WEBHOOK_DELIVERY_RETENTION_DAYS).
    op.create_index(
        "ix_webhook_deliveries_ended",
        "webhook_deliveries",
        ["created_at"],
        postgresql_where=sa.text("status <> 'pending'"),
    )
    op.create_index(
        "ix_webhook_deliveries_order",
        "webhook_deliveries",
        ["webhook_id", "aggregate_id", "seq"],
        postgresql_where=sa.text("status = 'pending'"),
    )


def downgrade() -> None:
    op.drop_table("webhook_deliveries")
    op.execute("DROP SEQUENCE IF EXISTS webhook_deliveries_seq")
    op.drop_table("webhooks")
