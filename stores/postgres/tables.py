"""The relational schema (system of record). Alembic migrations create it."""

from __future__ import annotations

from sqlalchemy import (
    ARRAY,
    CHAR,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    FetchedValue,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    func,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _versioned() -> list[Column[object]]:
    """The optimistic-concurrency version and the timestamps every aggregate row carries."""
    return [
        Column("version", Integer, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
    ]


tenants = Table(
    "tenants",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("slug", String(63), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # A suspended agency's people and integrations are refused until it is resumed.
    Column("suspended_at", DateTime(timezone=True)),
)

users = Table(
    "users",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant_id", Uuid, ForeignKey("tenants.id"), nullable=False),
    Column("username", String(150), nullable=False, unique=True),
    Column("password_hash", Text, nullable=False),
    Column("role", String(30), nullable=False),
    Column("is_active", Boolean, nullable=False, server_default="true"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # Tokens issued before this instant are void: a password change or a disable moves it.
    Column(
        "tokens_valid_after", DateTime(timezone=True), nullable=False, server_default=func.now()
    ),
)

# Integrations that publish commands to Kafka: the worker applies what each one writes
# as its own agency and role, whatever a message claims.
integrations = Table(
    "integrations",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant_id", Uuid, ForeignKey("tenants.id"), nullable=False, index=True),
    Column("name", String(100), nullable=False),
    Column("role", String(30), nullable=False),
    Column("scopes", ARRAY(Text), nullable=False),
    Column("kafka_username", String(200), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("revoked_at", DateTime(timezone=True)),
)

# An agency's retention policy: erase candidates with no activity and no valid consent
# for `inactive_months` (NULL: off, which is also what an agency without a row has).
retention_policies = Table(
    "retention_policies",
    metadata,
    Column("tenant_id", Uuid, ForeignKey("tenants.id"), primary_key=True),
    Column("inactive_months", Integer),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", String(250), nullable=False),
    CheckConstraint(
        "inactive_months BETWEEN 1 AND 600", name="ck_retention_policies_inactive_months"
    ),
)

# Refresh tokens rotate on use; one that is used twice revokes its whole family (every
# token descended from the same login), since one of the two users of it is a thief.
refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("family_id", Uuid, nullable=False, index=True),
    Column("user_id", Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),
)

# Integrations' keys: the secret is shown once and kept only as a SHA-256 (it is random
# and long, so a slow password hash would buy nothing and cost every request).
api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant_id", Uuid, ForeignKey("tenants.id"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("role", String(30), nullable=False),
    Column("prefix", String(24), nullable=False, unique=True),
    Column("secret_hash", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("revoked_at", DateTime(timezone=True)),
    # What the key may do within its role (NULL: a key from before scopes, its whole role).
    Column("scopes", ARRAY(Text)),
    Column("expires_at", DateTime(timezone=True)),
    Column("last_used_at", DateTime(timezone=True)),
)

candidates = Table(
    "candidates",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant_id", Uuid, nullable=False),
    Column("first_name", String(100), nullable=False),
    Column("last_name", String(100), nullable=False),
    Column("emails", ARRAY(Text), nullable=False, server_default="{}"),
    Column("phones", ARRAY(Text), nullable=False, server_default="{}"),
    Column("headline", String(200)),
    Column("location", JSONB),
    Column("source", String(30)),
    Column("owner_id", Uuid),
    Column("status", String(20), nullable=False),
    Column("available_from", Date),
    Column("desired_rate", JSONB),
    Column("desired_salary", JSONB),
    Column("work_authorization", String(200)),
    Column("willing_to_relocate", Boolean, nullable=False, server_default="false"),
    Column("tags", ARRAY(Text), nullable=False, server_default="{}"),
    Column("consent", JSONB),
    Column("merged_into", Uuid),
    *_versioned(),
    Index("ix_candidates_tenant_created", "tenant_id", "created_at", "id"),
    Index("ix_candidates_tenant_updated", "tenant_id", "updated_at", "id"),
)

clients = Table(
    "clients",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant_id", Uuid, nullable=False),
    Column("name", String(200), nullable=False),
    Column("industry", String(200)),
    Column("status", String(20), nullable=False),
    Column("default_fee_percent", Numeric(5, 4)),
    Column("payment_terms", String(200)),
    Column("owner_id", Uuid),
    *_versioned(),
    Index("ix_clients_tenant_created", "tenant_id", "created_at", "id"),
    Index("ix_clients_tenant_updated", "tenant_id", "updated_at", "id"),
)

contacts = Table(
    "contacts",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant_id", Uuid, nullable=False),
    Column("client_id", Uuid, ForeignKey("clients.id"), nullable=False),
    Column("first_name", String(200), nullable=False),
    Column("last_name", String(200), nullable=False),
    Column("title", String(200)),
    # Sealed with the contact's person key (stores/at_rest.py).
    Column("email", Text),
    Column("phone", Text),
    Column("role", String(20), nullable=False),
    *_versioned(),
    Index("ix_contacts_client_created", "client_id", "created_at", "id"),
)

requisitions = Table(
    "requisitions",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant_id", Uuid, nullable=False),
    Column("client_id", Uuid, ForeignKey("clients.id"), nullable=False),
    Column("contact_id", Uuid, ForeignKey("contacts.id")),
    Column("title", String(200), nullable=False),
    Column("description", Text),
    Column("required_skills", ARRAY(Text), nullable=False, server_default="{}"),
    Column("nice_to_have_skills", ARRAY(Text), nullable=False, server_default="{}"),
    Column("location", JSONB),
    Column("employment_type", String(20), nullable=False),
    Column("openings", Integer, nullable=False),
    Column("bill_rate", JSONB),
    Column("salary", JSONB),
    Column("fee_percent", Numeric(5, 4)),
    Column("priority", String(10), nullable=False),
    Column("status", String(20), nullable=False),
    Column("status_reason", String(500)),
    Column("owner_id", Uuid),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("filled_at", DateTime(timezone=True)),
    Column("target_date", Date),
    *_versioned(),
    Index("ix_requisitions_tenant_created", "tenant_id", "created_at", "id"),
    Index("ix_requisitions_tenant_updated", "tenant_id", "updated_at", "id"),
    Index("ix_requisitions_client", "client_id"),
)

submissions = Table(
    "submissions",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant_id", Uuid, nullable=False),
    Column("candidate_id", Uuid, nullable=False),
    Column("requisition_id", Uuid, ForeignKey("requisitions.id"), nullable=False),
    Column("source", String(60)),
    Column("stage", String(20), nullable=False),
    Column("history", JSONB, nullable=False),
    *_versioned(),
    # One submission per candidate and requisition.
    UniqueConstraint(
        "tenant_id", "candidate_id", "requisition_id", name="uq_submissions_candidate_requisition"
    ),
    Index("ix_submissions_tenant_created", "tenant_id", "created_at", "id"),
    Index("ix_submissions_tenant_updated", "tenant_id", "updated_at", "id"),
    Index("ix_submissions_requisition", "requisition_id"),
)

placements = Table(
    "placements",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant_id", Uuid, nullable=False),
    Column("submission_id", Uuid, ForeignKey("submissions.id"), nullable=False, unique=True),
    Column("candidate_id", Uuid, nullable=False),
    Column("requisition_id", Uuid, nullable=False),
    Column("client_id", Uuid, nullable=False),
    Column("start_date", Date, nullable=False),
    Column("end_date", Date),
    Column("status", String(20), nullable=False),
    Column("currency", String(3)),
    Column("bill_rate", Numeric(12, 2)),
    Column("pay_rate", Numeric(12, 2)),
    Column("margin", Numeric(12, 2)),
    Column("markup", Numeric(8, 4)),
    Column("margin_percent", Numeric(8, 4)),
    Column("salary", Numeric(12, 2)),
    Column("fee_percent", Numeric(5, 4)),
    Column("fee", Numeric(12, 2)),
    Column("end_reason", Text),
    *_versioned(),
    Index("ix_placements_tenant_created", "tenant_id", "created_at", "id"),
    Index("ix_placements_tenant_updated", "tenant_id", "updated_at", "id"),
    Index("ix_placements_requisition", "requisition_id"),
)

interviews = Table(
    "interviews",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant_id", Uuid, nullable=False),
    Column("submission_id", Uuid, ForeignKey("submissions.id"), nullable=False),
    Column("scheduled_at", DateTime(timezone=True), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("interviewers", ARRAY(Text), nullable=False, server_default="{}"),
    Column("location", String(500)),
    Column("duration_minutes", Integer, nullable=False),
    *_versioned(),
    Index("ix_interviews_submission", "submission_id", "scheduled_at"),
)

feedback = Table(
    "feedback",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant_id", Uuid, nullable=False),
    Column("interview_id", Uuid, ForeignKey("interviews.id"), nullable=False),
    Column("rating", Integer, nullable=False),
    Column("recommendation", String(20), nullable=False),
    Column("notes", Text),
    Column("author", String(250), nullable=False),
    *_versioned(),
    Index("ix_feedback_interview", "interview_id"),
)

documents = Table(
    "documents",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant_id", Uuid, nullable=False),
    Column("candidate_id", Uuid, nullable=False),
    Column("filename", String(255), nullable=False),
    Column("media_type", String(100), nullable=False),
    Column("size", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("text_chars", Integer, nullable=False),
    Column("proposed_skills", ARRAY(Text), nullable=False, server_default="{}"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_documents_candidate", "tenant_id", "candidate_id", "created_at"),
)

# Who erased whom and when: the one trace an erasure leaves, by design without the person.
erasures = Table(
    "erasures",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant_id", Uuid, nullable=False),
    Column("candidate_id", Uuid, nullable=False),
    Column("erased_by", String(250), nullable=False),
    Column("erased_at", DateTime(timezone=True), nullable=False),
)

notes = Table(
    "notes",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant_id", Uuid, nullable=False),
    Column("subject_type", String(20), nullable=False),
    Column("subject_id", Uuid, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("body", Text, nullable=False),
    Column("author", String(250), nullable=False),
    *_versioned(),
    Index("ix_notes_subject", "tenant_id", "subject_id", "created_at"),
)

# One row per normalised email or phone, so a duplicate is one primary-key probe
# and two racing creates cannot both win.
# The guard that refuses a second candidate with an agency's e-mail or phone: one row per
# value, holding a keyed blind index of it (stores/at_rest.py), never the value itself.
# `key_version` is the agency key version the digest was made with; 0 is a value from
# before encryption at rest, still in the clear until `refactortrack keys backfill`.
candidate_contact_points = Table(
    "candidate_contact_points",
    metadata,
    Column("tenant_id", Uuid, nullable=False),
    Column("kind", String(10), nullable=False),
    Column("digest", String(254), nullable=False),
    Column("key_version", Integer, nullable=False, server_default="0"),
    Column("candidate_id", Uuid, nullable=False),
    PrimaryKeyConstraint("tenant_id", "kind", "digest"),
    Index("ix_contact_points_candidate", "candidate_id"),
)

# What the possible-duplicates finder looks a pool up by (phone tails, e-mail names,
# company domains: domain/duplicates.py `match_keys`), as blind indexes. Not unique: many
# candidates share a domain.
candidate_match_keys = Table(
    "candidate_match_keys",
    metadata,
    Column("tenant_id", Uuid, nullable=False),
    Column("candidate_id", Uuid, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("digest", Text, nullable=False),
    Column("key_version", Integer, nullable=False),
    PrimaryKeyConstraint("tenant_id", "candidate_id", "kind", "digest"),
    Index("ix_candidate_match_keys_tenant_id", "tenant_id", "digest"),
)

# The idempotency ledger: written in the same transaction as the change it records.
processed_commands = Table(
    "processed_commands",
    metadata,
    Column("tenant_id", Uuid, primary_key=True),
    Column("command_id", Uuid, primary_key=True),
    Column("type", String(100), nullable=False),
    Column("status", String(20), nullable=False),
    Column("resource_id", Uuid),
    Column("error", JSONB),
    Column("events", JSONB, nullable=False, server_default="[]"),
    Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

saved_searches = Table(
    "saved_searches",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant_id", Uuid, nullable=False),
    Column("owner", String(250), nullable=False),
    Column("name", String(200), nullable=False),
    Column("q", Text, nullable=False),
    Column("filters", JSONB, nullable=False),
    Column("alerts", Boolean, nullable=False),
    *_versioned(),
    Index("ix_saved_searches_owner", "tenant_id", "owner"),
)

# One alert per saved search and candidate: a candidate edited again is not news.
saved_search_matches = Table(
    "saved_search_matches",
    metadata,
    Column("saved_search_id", Uuid, nullable=False),
    Column("candidate_id", Uuid, nullable=False),
    Column("tenant_id", Uuid, nullable=False),
    Column("owner", String(250), nullable=False),
    Column("matched_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("saved_search_id", "candidate_id"),
    Index("ix_saved_search_matches_feed", "tenant_id", "owner", "matched_at"),
)

# The audit log: who read, changed, exported or erased which record, one hash chain per
# agency (domain/audit.py). Append-only: a trigger refuses UPDATE, DELETE and TRUNCATE
# (migration 0017), and `seq` is gapless per agency, so a removed entry shows.
audit_log = Table(
    "audit_log",
    metadata,
    Column("tenant_id", Uuid, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("id", Uuid, nullable=False, unique=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("action", String(30), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("actor_kind", String(20), nullable=False),
    Column("address", String(100)),
    Column("subject_type", String(30)),
    Column("subject_id", Uuid),
    # Postgres's own ARRAY: its @> and && (containment, overlap) use the GIN index.
    Column("subject_ids", postgresql.ARRAY(Uuid), nullable=False, server_default="{}"),
    Column("detail", JSONB, nullable=False, server_default="{}"),
    Column("prev_hash", CHAR(64), nullable=False),
    Column("hash", CHAR(64), nullable=False),
    PrimaryKeyConstraint("tenant_id", "seq"),
    Index("ix_audit_log_subject_ids", "subject_ids", postgresql_using="gin"),
    Index("ix_audit_log_actor", "tenant_id", "actor", "seq"),
    Index("ix_audit_log_at", "tenant_id", "at"),
)

# Where each agency's chain ends. Appends lock their agency's row, so one agency's
# entries are chained one after another; verify compares it with the newest entry, so
# entries cut off the end show too.
audit_heads = Table(
    "audit_heads",
    metadata,
    Column("tenant_id", Uuid, primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("hash", CHAR(64), nullable=False),
)

# Envelope encryption (core/crypto.py): each agency's keys, wrapped by the master key, one
# row per version (the highest is the one in use); and each person's key, wrapped by an
# agency key version. Erasing a person deletes their row: what was sealed with it is gone.
agency_keys = Table(
    "agency_keys",
    metadata,
    Column("tenant_id", Uuid, ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("wrapped", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("tenant_id", "version"),
)

person_keys = Table(
    "person_keys",
    metadata,
    Column("tenant_id", Uuid, ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
    Column("subject_id", Uuid, nullable=False),
    Column("subject_type", String(20), nullable=False),
    Column("agency_key_version", Integer, nullable=False),
    Column("wrapped", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("tenant_id", "subject_id"),
    # A rotation cannot delete an agency key version that still wraps someone's key.
    ForeignKeyConstraint(
        ["tenant_id", "agency_key_version"],
        ["agency_keys.tenant_id", "agency_keys.version"],
        name="fk_person_keys_tenant_id_agency_keys",
    ),
    Index("ix_person_keys_tenant_id", "tenant_id", "agency_key_version"),
)

# Webhooks (migration 0021): an agency's endpoints, and one row per event (or test) to
# deliver to one of them. The secret is kept sealed under a key derived from the master
# key, bound to the webhook; `seq` orders deliveries as they were recorded, so one
# aggregate's events reach an endpoint in their order.
webhooks = Table(
    "webhooks",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant_id", Uuid, ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
    Column("url", Text, nullable=False),
    Column("events", ARRAY(Text), nullable=False),
    Column("description", Text),
    Column("secret", Text, nullable=False),
    Column("status", String(20), nullable=False),
    Column("disabled_reason", String(50)),
    Column("disabled_at", DateTime(timezone=True)),
    Column("last_success_at", DateTime(timezone=True)),
    Column("notice_pending", Boolean, nullable=False, server_default="false"),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(250), nullable=False),
    Index("ix_webhooks_tenant_id", "tenant_id", "created_at", "id"),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", Uuid, primary_key=True),
    # From the sequence webhook_deliveries_seq (the migration sets the default).
    Column("seq", BigInteger, nullable=False, unique=True, server_default=FetchedValue()),
    Column("tenant_id", Uuid, nullable=False),
    Column("webhook_id", Uuid, ForeignKey("webhooks.id", ondelete="CASCADE"), nullable=False),
    Column("event_id", Uuid, nullable=False),
    Column("event_type", String(100), nullable=False),
    Column("aggregate_id", Uuid, nullable=False),
    Column("event", JSONB, nullable=False),
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_response_code", Integer),
    Column("last_error", String(300)),
    Column("last_attempt_at", DateTime(timezone=True)),
    Column("next_attempt_at", DateTime(timezone=True)),
    Column("period_started_at", DateTime(timezone=True), nullable=False),
    Column("lease_until", DateTime(timezone=True)),
    Column("delivered_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("webhook_id", "event_id", name="uq_webhook_deliveries_webhook_event"),
    Index("ix_webhook_deliveries_webhook_id", "webhook_id", "created_at", "id"),
)

# The changes feed (`GET /changes`): one row per event of the domain topics, with ids,
# type and version only, never a field of the record (topics/changes.py). `sequence`
# counts each agency's changes 1, 2, 3 … in the order they were recorded: it is taken
# from the agency's head row, locked until the recording transaction commits, so a
# reader never sees sequence n + 1 before n has committed (and a poller that resumes after
# n misses nothing). `event_id` is unique: an event delivered again is recorded once.
changes = Table(
    "changes",
    metadata,
    Column("tenant_id", Uuid, nullable=False),
    Column("sequence", BigInteger, nullable=False),
    Column("event_id", Uuid, nullable=False),
    Column("type", String(100), nullable=False),
    Column("resource_type", String(50), nullable=False),
    Column("resource_id", Uuid, nullable=False),
    Column("version", Integer, nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("tenant_id", "sequence"),
    UniqueConstraint("event_id"),
    Index("ix_changes_resource", "tenant_id", "resource_type", "resource_id"),
    Index("ix_changes_recorded", "tenant_id", "recorded_at"),
)

change_heads = Table(
    "change_heads",
    metadata,
    Column("tenant_id", Uuid, primary_key=True),
    Column("sequence", BigInteger, nullable=False),
)
