"""Runtime settings, read from the environment, `.env` and the local stack's secrets.

Variable names follow the product's original description where they fit
(`POSTGRES_*`, `REDIS_*`, `JWT_*`); every variable is documented in `.env.example`.

Precedence, highest first: the environment, `.env`, then `<state dir>/secrets.env`, the
random passwords `deploy/local/stack.sh up` makes for the local stack (the state dir is
`RT_STATE_DIR`, else `$XDG_STATE_HOME/refactortrack`, else
`~/.local/state/refactortrack`, as in deploy/local/lib/common.sh). So `make dev`, the
tests and the CLI find the local broker's credentials without a step of their own, and
a deployment, which has no such file, sets each process's own secret in its environment.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import quote

from dotenv import dotenv_values
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

DEV_POSTGRES_PASSWORD = "refactortrack"

KafkaRole = Literal["admin", "gateway", "worker", "jobs"]
"""Who logs in to Kafka: each process as its own principal (docs/kafka.md)."""

# What each principal is, for the messages that name a missing secret.
KAFKA_ROLE_USE: dict[KafkaRole, str] = {
    "admin": "migrations, topic and ACL administration and test resets",
    "gateway": "the gateway's command producer",
    "worker": "the Faust workers",
    "jobs": "imports and demo data",
}

# Letters, digits, '.', '_' and '-': nothing SCRAM or a JAAS line would need to escape.
KAFKA_USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class MissingSetting(RuntimeError):
    """A setting this process needs is not set; the message says which and where."""


@dataclass(frozen=True, slots=True)
class KafkaLogin:
    """One principal's SASL login. The password stays a SecretStr until the client needs it."""

    role: str  # a KafkaRole for our processes; what the login is for, in messages
    username: str
    password: SecretStr


def local_state_dir() -> Path:
    """The local stack's state dir, found the way deploy/local/lib/common.sh finds it."""
    dotenv = dotenv_values(".env") if Path(".env").is_file() else {}

    def setting(name: str) -> str | None:
        return os.environ.get(name) or dotenv.get(name) or None

    raw = setting("RT_STATE_DIR")
    if raw is None:
        xdg = setting("XDG_STATE_HOME")
        raw = f"{xdg}/refactortrack" if xdg else "~/.local/state/refactortrack"
    return Path(raw).expanduser()


def local_secrets_file() -> Path:
    return local_state_dir() / "secrets.env"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Earlier sources win: the local stack's generated secrets only fill what the
        # environment and .env leave unset.
        local_secrets = DotEnvSettingsSource(settings_cls, env_file=local_secrets_file())
        return init_settings, env_settings, dotenv_settings, local_secrets, file_secret_settings

    environment: Literal["dev", "test", "staging", "production"] = Field(
        default="dev", alias="RT_ENV"
    )
    log_level: str = Field(default="INFO", alias="LOG_LEVEL")
    # `console` for people (make dev), `json` for a log collector: one object a line with
    # request_id, tenant_id and command_id.
    log_format: Literal["console", "json"] = Field(default="console", alias="LOG_FORMAT")

    # HTTP ingress
    host: str = Field(default="127.0.0.1", alias="HOST")
    port: int = Field(default=8000, alias="PORT")
    max_request_bytes: int = Field(default=1_048_576, alias="MAX_REQUEST_BYTES")
    # Resume uploads (POST .../documents) may be larger than other requests.
    max_upload_bytes: int = Field(default=10 * 1_048_576, alias="MAX_UPLOAD_BYTES")
    command_wait_seconds: float = Field(default=5.0, alias="COMMAND_WAIT_SECONDS")
    # How long a write waits for the broker to take its command before answering 503: a
    # command the broker appends after that is refused by the worker, never applied.
    command_publish_seconds: float = Field(default=3.0, gt=0, alias="COMMAND_PUBLISH_SECONDS")
    # Writes a gateway process holds at once; one more is refused 503 before any work
    # (gateway/admission.py). By Little's law: 200 creates/s times about 0.4 s POST → answer
    # is 80 in flight; 128 leaves headroom for a slower moment (docs/interactive-latency.md).
    command_concurrency: int = Field(default=128, ge=1, alias="COMMAND_CONCURRENCY")
    # Of those, the writes whose commands the broker does not have yet: the ones costing
    # this process CPU, which pile up first when it is overloaded (gateway/admission.py).
    command_send_concurrency: int = Field(default=64, ge=1, alias="COMMAND_SEND_CONCURRENCY")
    # On SIGTERM the gateway answers the requests in flight, and a worker finishes the batches
    # it holds (and commits their offsets), for at most this long.
    shutdown_grace_seconds: int = Field(default=20, ge=0, alias="SHUTDOWN_GRACE_SECONDS")
    # After start-up, what a gateway or worker loaded is frozen out of the garbage
    # collector's full collections, which otherwise paused it for a large part of a second
    # (core/gc_tuning.py); `false` only to measure the difference.
    gc_freeze: bool = Field(default=True, alias="GC_FREEZE")
    # A worker or gateway runs a full collection only after this many younger ones
    # (Python: 10), so an import's sets in flight, or a gateway's requests, are not walked
    # every second or two (core/gc_tuning.py, docs/bulk-imports.md); 10 only to measure.
    gc_full_after: int = Field(default=100, ge=1, alias="GC_FULL_AFTER")
    # An import (and the other jobs) waits for its outcomes as long as the worker records
    # some; it gives up (exit 3) only after this long with none new.
    import_stall_seconds: float = Field(default=120.0, gt=0, alias="IMPORT_STALL_SECONDS")
    # An import of candidates sends this many rows per `candidate.create_batch` command
    # (docs/bulk-imports.md): fewer, bigger messages, one outcome per batch. 0 sends one
    # `candidate.create` per row, as before batches (to measure against).
    import_batch_rows: int = Field(default=500, ge=0, le=5000, alias="IMPORT_BATCH_ROWS")
    cors_origins: list[str] = Field(default_factory=list, alias="CORS_ORIGINS")

    # Resume reading (agents/documents/): each file is read in a process of its own with
    # these limits, so a hostile file is refused instead of stalling the worker.
    resume_parse_cpu_seconds: int = Field(default=5, ge=1, alias="RESUME_PARSE_CPU_SECONDS")
    resume_parse_memory_bytes: int = Field(
        default=512 * 1_048_576, ge=128 * 1_048_576, alias="RESUME_PARSE_MEMORY_BYTES"
    )
    resume_parse_timeout_seconds: float = Field(
        default=10.0, gt=0, alias="RESUME_PARSE_TIMEOUT_SECONDS"
    )
    resume_parse_concurrency: int = Field(default=2, ge=1, alias="RESUME_PARSE_CONCURRENCY")
    resume_max_pdf_pages: int = Field(default=50, ge=1, alias="RESUME_MAX_PDF_PAGES")
    resume_max_inflated_bytes: int = Field(
        default=20 * 1_048_576, ge=1, alias="RESUME_MAX_INFLATED_BYTES"
    )
    resume_max_zip_entries: int = Field(default=500, ge=1, alias="RESUME_MAX_ZIP_ENTRIES")
    resume_max_compression_ratio: int = Field(
        default=100, ge=1, alias="RESUME_MAX_COMPRESSION_RATIO"
    )
    resume_max_text_chars: int = Field(default=200_000, ge=1, alias="RESUME_MAX_TEXT_CHARS")

    # Region used to read phone numbers written without a country code (E.164 storage)
    default_phone_region: str = Field(default="US", alias="DEFAULT_PHONE_REGION")

    # Request budget per minute, in units (a read or a write costs 1, a search or a match
    # 5, a resume upload 10): per user or API key, and per agency (0: no limit).
    rate_limit_per_minute: int = Field(default=6000, ge=0, alias="RATE_LIMIT_PER_MINUTE")
    agency_rate_limit_per_minute: int = Field(
        default=30000, ge=0, alias="AGENCY_RATE_LIMIT_PER_MINUTE"
    )
    # Redis down: refuse with 503 (false) or serve without counting (true, logged).
    rate_limit_fail_open: bool = Field(default=False, alias="RATE_LIMIT_FAIL_OPEN")
    # Password guessing: failed logins allowed per account and per client address within
    # a quarter of an hour before each further attempt must wait, twice as long each time
    # up to the maximum (a growing back-off, not a lock-out anyone could trigger).
    login_free_failures_per_account: int = Field(default=5, alias="LOGIN_FREE_FAILURES_PER_ACCOUNT")
    login_free_failures_per_address: int = Field(
        default=20, alias="LOGIN_FREE_FAILURES_PER_ADDRESS"
    )
    login_max_backoff_seconds: int = Field(default=900, alias="LOGIN_MAX_BACKOFF_SECONDS")
    # Live analytics streams (SSE) open at once, per user or API key and per agency
    # (0: no cap); past them a new stream answers 429.
    sse_streams_per_user: int = Field(default=5, ge=0, alias="SSE_STREAMS_PER_USER")
    sse_streams_per_agency: int = Field(default=50, ge=0, alias="SSE_STREAMS_PER_AGENCY")

    # Webhooks (docs/integrations.md#webhooks). A delivery that fails on a timeout, a 5xx
    # or a connection error is tried again after base·2^(n-1) seconds (capped, with jitter)
    # until WEBHOOK_RETRY_PERIOD_SECONDS have passed since it was first due; a webhook
    # with no success for that long is disabled. Tests shrink all of it to seconds.
    webhook_retry_base_seconds: float = Field(default=5.0, gt=0, alias="WEBHOOK_RETRY_BASE_SECONDS")
    webhook_retry_cap_seconds: float = Field(
        default=7200.0, gt=0, alias="WEBHOOK_RETRY_CAP_SECONDS"
    )
    webhook_retry_period_seconds: float = Field(
        default=27 * 3600.0, gt=0, alias="WEBHOOK_RETRY_PERIOD_SECONDS"
    )
    # One attempt's whole time: connecting, sending, and the receiver's answer.
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, alias="WEBHOOK_TIMEOUT_SECONDS")
    # Attempts in flight at once: per endpoint and per agency (counted across every
    # worker), and in all per worker process.
    webhook_concurrency_per_endpoint: int = Field(
        default=4, ge=1, alias="WEBHOOK_CONCURRENCY_PER_ENDPOINT"
    )
    webhook_concurrency_per_agency: int = Field(
        default=16, ge=1, alias="WEBHOOK_CONCURRENCY_PER_AGENCY"
    )
    webhook_concurrency: int = Field(default=64, ge=1, alias="WEBHOOK_CONCURRENCY")
    # How often a worker looks for due deliveries (it is also woken by new ones).
    webhook_poll_seconds: float = Field(default=0.5, gt=0, alias="WEBHOOK_POLL_SECONDS")
    # Delivered and failed deliveries are kept this long for the deliveries list, then
    # deleted (pending ones stay until they end).
    webhook_delivery_retention_days: int = Field(
        default=30, ge=1, alias="WEBHOOK_DELIVERY_RETENTION_DAYS"
    )
    # Targets on private, loopback, link-local or otherwise non-public addresses are
    # refused (at create and at every send, on the addresses the name resolves to then)
    # unless this is on: for a receiver on the same network, and the tests.
    webhook_allow_private_targets: bool = Field(
        default=False, alias="WEBHOOK_ALLOW_PRIVATE_TARGETS"
    )
    # If set (comma-separated host names or IPs), only these hosts may be targets.
    webhook_allowed_hosts: str = Field(default="", alias="WEBHOOK_ALLOWED_HOSTS")

    # Browser-facing headers. HSTS is sent on answers over TLS: the request's scheme is
    # https (uvicorn's own TLS, or `X-Forwarded-Proto: https` from a TRUSTED_PROXIES
    # address), or always with FORCE_HSTS (TLS ended by a proxy that does not say so).
    hsts_max_age_seconds: int = Field(default=31_536_000, ge=0, alias="HSTS_MAX_AGE_SECONDS")
    force_hsts: bool = Field(default=False, alias="FORCE_HSTS")
    # Addresses whose X-Forwarded-Proto and X-Forwarded-For are believed (comma-separated
    # IPs or networks, `*` for any): uvicorn's forwarded_allow_ips.
    trusted_proxies: str = Field(default="127.0.0.1", alias="TRUSTED_PROXIES")

    # Operations: /metrics on a port of its own (0: on the API's port), and/or only with
    # `Authorization: Bearer <METRICS_TOKEN>` (empty: open, as /health).
    metrics_port: int = Field(default=0, ge=0, le=65535, alias="METRICS_PORT")
    metrics_host: str = Field(default="127.0.0.1", alias="METRICS_HOST")
    metrics_token: str = Field(default="", alias="METRICS_TOKEN")
    # A worker's /live, /ready and /metrics (0: none; each worker process needs a port
    # of its own, so only an orchestrator's pod or a compose service sets one).
    worker_health_port: int = Field(default=0, ge=0, le=65535, alias="WORKER_HEALTH_PORT")
    worker_health_host: str = Field(default="127.0.0.1", alias="WORKER_HEALTH_HOST")

    # Traces (OpenTelemetry, docs/operations.md#traces): off unless an OTLP endpoint is
    # set. The standard variables, so a collector's sidecar or operator that injects them
    # turns tracing on without a setting of ours; the SDK reads the other OTEL_* variables
    # (sampler, headers, resource attributes) from the environment itself.
    otel_exporter_otlp_endpoint: str = Field(default="", alias="OTEL_EXPORTER_OTLP_ENDPOINT")
    # Where traces go when they do not go to <endpoint>/v1/traces (OTLP over HTTP).
    otel_exporter_otlp_traces_endpoint: str = Field(
        default="", alias="OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
    )
    # Empty: refactortrack-gateway or refactortrack-worker, by the process.
    otel_service_name: str = Field(default="", alias="OTEL_SERVICE_NAME")
    otel_sdk_disabled: bool = Field(default=False, alias="OTEL_SDK_DISABLED")

    # Auth. No default secret: `make dev` and the local stack generate one.
    jwt_secret: str = Field(default="", alias="JWT_SECRET")
    jwt_issuer: str = Field(default="refactortrack", alias="JWT_ISSUER")
    jwt_audience: str = Field(default="refactortrack-api", alias="JWT_AUDIENCE")
    jwt_expiry_seconds: int = Field(default=3600, alias="JWT_EXPIRY_SECONDS")
    jwt_refresh_expiry_seconds: int = Field(
        default=14 * 24 * 3600, alias="JWT_REFRESH_EXPIRY_SECONDS"
    )
    # How long the gateway trusts what it last read of a user (active? agency suspended?
    # tokens revoked?): a disabled user's token stops working within this many seconds.
    auth_recheck_seconds: float = Field(default=2.0, alias="AUTH_RECHECK_SECONDS")

    # Personal data: the master key wraps every agency's key (core/crypto.py). No default:
    # the local stack makes one; a deployment sets a random value of 32+ characters and
    # keeps it as safe as its backups (without it, nothing sealed can be read again).
    data_master_key: str = Field(default="", alias="DATA_MASTER_KEY", repr=False)
    # How long a process trusts a person key it read: an erased person's data stops
    # opening everywhere within this many seconds (at once in the erasing process).
    key_cache_seconds: float = Field(default=10.0, alias="KEY_CACHE_SECONDS", gt=0, le=300)
    # How many person keys a process keeps (about 200 bytes each): the least recently used
    # go first, so a worker's memory does not grow with the people it has seen.
    key_cache_size: int = Field(default=50_000, alias="KEY_CACHE_SIZE", ge=1)
    # How many new people's ids, with their keys stored, a process keeps ready per agency
    # (stores/ready_keys.py): a create takes one and makes no key on its way. 0: every
    # create makes its key as it is sealed.
    key_pool_size: int = Field(default=64, alias="KEY_POOL_SIZE", ge=0, le=10_000)
    # How many integrations a worker remembers (RECHECK_SECONDS each) before the least
    # recently used are read again: the ids come from commands, so they are bounded here.
    integration_cache_size: int = Field(default=10_000, alias="INTEGRATION_CACHE_SIZE", ge=1)
    # Where the analytics tables keep their records: `memory`, in the worker (grows with
    # them), or `rocksdb`, files under WORKER_DATA_DIR (rebuilt from the changelog when
    # lost; memory stays flat; docs/scaling.md, "The analytics data directory").
    analytics_store: Literal["rocksdb", "memory"] = Field(
        default="rocksdb", alias="ANALYTICS_STORE"
    )
    # RocksDB's block cache per table partition (bytes), and how many candidates' records
    # the analytics keep in memory between reads of the table.
    analytics_block_cache_bytes: int = Field(
        default=8 << 20, alias="ANALYTICS_BLOCK_CACHE_BYTES", ge=1 << 20
    )
    analytics_candidate_cache_size: int = Field(
        default=100_000, alias="ANALYTICS_CANDIDATE_CACHE_SIZE", ge=1
    )
    # Seconds between a worker's giving its allocator's free memory back to the OS
    # (core/allocator.py), so its resident memory falls after an import; 0: never.
    worker_memory_trim_seconds: float = Field(
        default=30.0, alias="WORKER_MEMORY_TRIM_SECONDS", ge=0
    )
    # For measurement only: `off` sends and stores personal data in the clear (no person
    # keys, no sealing, no blind indexes), to measure what sealing costs against a baseline
    # in the same run (bench/encryption.py). Refused in staging and production; a database
    # written with it off is the bench's own, never one that holds real people.
    personal_data_sealing: Literal["on", "off"] = Field(default="on", alias="PERSONAL_DATA_SEALING")

    # PostgreSQL
    postgres_host: str = Field(default="127.0.0.1", alias="POSTGRES_HOST")
    postgres_port: int = Field(default=5432, alias="POSTGRES_PORT")
    postgres_db: str = Field(default="refactortrack", alias="POSTGRES_DB")
    postgres_user: str = Field(default="refactortrack", alias="POSTGRES_USER")
    postgres_password: str = Field(default=DEV_POSTGRES_PASSWORD, alias="POSTGRES_PASSWORD")
    postgres_pool_size: int = Field(default=10, alias="POSTGRES_POOL_SIZE")
    # TLS to Postgres, as libpq names it: `require` encrypts; `verify-ca` and
    # `verify-full` (the host name too) check the server against POSTGRES_SSLROOTCERT.
    postgres_sslmode: Literal["disable", "prefer", "require", "verify-ca", "verify-full"] = Field(
        default="prefer", alias="POSTGRES_SSLMODE"
    )
    postgres_sslrootcert: str | None = Field(default=None, alias="POSTGRES_SSLROOTCERT")

    # Redis: with REDIS_PASSWORD (and REDIS_USERNAME for an ACL user) it logs in; with
    # REDIS_TLS it speaks TLS (rediss://), checked against REDIS_CA_FILE or the system's CAs.
    redis_host: str = Field(default="127.0.0.1", alias="REDIS_HOST")
    redis_port: int = Field(default=6379, alias="REDIS_PORT")
    redis_db: int = Field(default=0, alias="REDIS_DB")
    redis_username: str | None = Field(default=None, alias="REDIS_USERNAME")
    redis_password: str | None = Field(default=None, alias="REDIS_PASSWORD")
    redis_tls: bool = Field(default=False, alias="REDIS_TLS")
    redis_ca_file: str | None = Field(default=None, alias="REDIS_CA_FILE")

    # MongoDB (FerretDB locally)
    mongo_url: str = Field(default="mongodb://127.0.0.1:27017", alias="MONGODB_URL")
    mongo_db: str = Field(default="refactortrack", alias="MONGODB_DB")

    # OpenSearch: an https:// URL speaks TLS, checked against OPENSEARCH_CA_FILE (or the
    # system's CAs); OPENSEARCH_USERNAME/PASSWORD log in (the security plugin's users).
    opensearch_url: str = Field(default="http://127.0.0.1:9200", alias="OPENSEARCH_URL")
    opensearch_username: str | None = Field(default=None, alias="OPENSEARCH_USERNAME")
    opensearch_password: str | None = Field(default=None, alias="OPENSEARCH_PASSWORD")
    opensearch_ca_file: str | None = Field(default=None, alias="OPENSEARCH_CA_FILE")
    # Off only where the node's certificate cannot be checked (a self-signed demo
    # certificate on a private network): the password still travels encrypted.
    opensearch_verify_certs: bool = Field(default=True, alias="OPENSEARCH_VERIFY_CERTS")
    index_prefix: str = Field(default="rt", alias="INDEX_PREFIX")
    search_refresh_interval: str = Field(default="200ms", alias="SEARCH_REFRESH_INTERVAL")
    # Primary shards and replicas of each index the app creates. Shards are fixed when an
    # index is made (a candidate index picks a new count up at `refactortrack reindex`);
    # replicas need as many more data nodes, or the cluster stays yellow.
    search_shards: int = Field(default=1, ge=1, alias="SEARCH_SHARDS")
    search_replicas: int = Field(default=0, ge=0, alias="SEARCH_REPLICAS")

    # Kafka
    kafka_bootstrap_servers: str = Field(default="127.0.0.1:9092", alias="KAFKA_BOOTSTRAP_SERVERS")
    # Every listener authenticates: SASL over plain TCP (the local stack, a private
    # network) or over TLS, checked against KAFKA_SSL_CAFILE (the system's CAs if unset).
    kafka_security_protocol: Literal["SASL_PLAINTEXT", "SASL_SSL"] = Field(
        default="SASL_PLAINTEXT", alias="KAFKA_SECURITY_PROTOCOL"
    )
    kafka_sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256"] = Field(
        default="SCRAM-SHA-512", alias="KAFKA_SASL_MECHANISM"
    )
    kafka_ssl_cafile: str | None = Field(default=None, alias="KAFKA_SSL_CAFILE")
    # One principal per kind of process, each with only the rights it needs; a process
    # reads only its own password (no defaults: a process without one refuses to start).
    kafka_admin_username: str = Field(default="admin", alias="KAFKA_ADMIN_USERNAME")
    kafka_admin_password: SecretStr | None = Field(default=None, alias="KAFKA_ADMIN_PASSWORD")
    kafka_gateway_username: str = Field(default="rt-gateway", alias="KAFKA_GATEWAY_USERNAME")
    kafka_gateway_password: SecretStr | None = Field(default=None, alias="KAFKA_GATEWAY_PASSWORD")
    kafka_worker_username: str = Field(default="rt-worker", alias="KAFKA_WORKER_USERNAME")
    kafka_worker_password: SecretStr | None = Field(default=None, alias="KAFKA_WORKER_PASSWORD")
    kafka_jobs_username: str = Field(default="rt-jobs", alias="KAFKA_JOBS_USERNAME")
    kafka_jobs_password: SecretStr | None = Field(default=None, alias="KAFKA_JOBS_PASSWORD")
    # Topic names are <namespace>.<domain>.<kind>; only the test suite changes it.
    topic_namespace: str = Field(default="rt", alias="TOPIC_NAMESPACE")
    # Sizing of the topics the migration creates: partitions bound how many workers of one
    # consumer group share the work (docs/scaling.md); a replication factor above 1 and
    # min.insync.replicas below it let a broker go down without losing acknowledged
    # writes (the producers ask for acks=all). Changing them later does not resize the
    # topics that exist (docs/deploy-kubernetes.md says how).
    kafka_partitions: int = Field(default=4, ge=1, alias="KAFKA_PARTITIONS")
    kafka_replication_factor: int = Field(default=1, ge=1, alias="KAFKA_REPLICATION_FACTOR")
    kafka_min_insync_replicas: int = Field(default=1, ge=1, alias="KAFKA_MIN_INSYNC_REPLICAS")
    # The longest the broker holds a worker's fetch when the partitions in it have no data
    # (Faust fixes 1,500): records that came meanwhile to a partition left out of that
    # fetch wait as long (stores/kafka_transport.py).
    kafka_fetch_max_wait_ms: int = Field(
        default=100, ge=1, le=1500, alias="KAFKA_FETCH_MAX_WAIT_MS"
    )
    # How long a command agent gathers commands into one batch after the first arrives
    # (Faust's take_events window). It is waited out on every batch, even when nothing
    # more comes: a floor under every write's latency, and idle time in each set's cycle.
    command_batch_window_ms: int = Field(default=10, ge=1, le=1000, alias="COMMAND_BATCH_WINDOW_MS")
    # The same for the candidates' search indexer: a new candidate is searchable that much
    # later at least, and a longer window makes fewer, larger bulk requests.
    search_index_window_ms: int = Field(default=20, ge=1, le=1000, alias="SEARCH_INDEX_WINDOW_MS")
    worker_id: str = Field(default="refactortrack-worker", alias="WORKER_ID")
    worker_data_dir: str = Field(default=".worker-data", alias="WORKER_DATA_DIR")
    # How many messages each agent's stream holds ahead of the agent (Faust's
    # stream_buffer_maxsize, 4,096 unless set). It counts messages, not bytes: with an
    # import's 500-row batches Faust's default let a worker prefetch most of the import
    # (1.56 GB resident 164,500 rows into a million). 16 starved the interactive path
    # (a worker's sets of commands stayed small, so at 200 creates/s they queued). 64
    # holds at most 32,000 of an import's rows ahead: the commands worker peaked at 479 MiB
    # importing 100,000 rows (371 with 16), bounded whatever the import's size
    # (docs/interactive-latency.md, docs/bulk-imports.md).
    worker_stream_buffer: int = Field(default=64, ge=1, alias="WORKER_STREAM_BUFFER")
    # How long a silent worker keeps its partitions before the others take them over: a
    # worker killed outright (kill -9, the OOM killer, a lost host) holds its partitions that
    # long, so a worker restarted at once waits for it too. 6 s is Kafka's least
    # (group.min.session.timeout.ms); heartbeats go every third of it, from the consumer's
    # own thread, so a busy event loop does not miss them.
    worker_session_timeout_seconds: float = Field(
        default=6.0, alias="WORKER_SESSION_TIMEOUT_SECONDS"
    )

    # Which agents a worker process runs (app/worker.py, docs/scaling.md): `all` of them;
    # `commands` (command agents, resume reader, integration gate) and `followers` (search
    # indexers, changes feed, webhooks, integrations forwarder) and `analytics`, each in a
    # process of its own so each gets a core; `domain` is commands and followers together.
    worker_agents: Literal["all", "domain", "commands", "followers", "analytics"] = Field(
        default="all", alias="WORKER_AGENTS"
    )
    # The workers' event loop: uvloop's (libuv, in C) or the standard library's. A worker
    # is a busy event loop (a fetch, a produce and a few store round trips per command):
    # on the pure-Python loop its callbacks and socket writes were a quarter of its CPU
    # (docs/interactive-latency.md). `asyncio` is the way back should a library misbehave
    # on uvloop. The gateway's uvicorn picks uvloop by itself.
    worker_event_loop: Literal["uvloop", "asyncio"] = Field(
        default="uvloop", alias="WORKER_EVENT_LOOP"
    )
    # Live analytics: the service levels an agency gets unless it sets its own, and how
    # often the worker checks them and pushes changed views to dashboards.
    analytics_client_review_hours: float = Field(
        default=48.0, alias="ANALYTICS_CLIENT_REVIEW_HOURS"
    )
    analytics_hot_quiet_hours: float = Field(default=72.0, alias="ANALYTICS_HOT_QUIET_HOURS")
    analytics_alert_check_seconds: float = Field(
        default=30.0, alias="ANALYTICS_ALERT_CHECK_SECONDS"
    )
    analytics_push_seconds: float = Field(default=0.2, alias="ANALYTICS_PUSH_SECONDS")
    # How much the analytics worker's fetch asks the broker to gather (bytes) and for how
    # long at most (ms). Asked for any data at once, the broker answered a fetch for
    # almost every event under the interactive load, and each fetch costs the worker the
    # same whatever it carries. An event is counted up to twice this wait later (the
    # router, then the agency's topic): about one of a dashboard's pushes
    # (ANALYTICS_PUSH_SECONDS). 1 byte asks for any data at once, as the other workers do.
    analytics_fetch_min_bytes: int = Field(
        default=65536, ge=1, le=52428800, alias="ANALYTICS_FETCH_MIN_BYTES"
    )
    analytics_fetch_max_wait_ms: int = Field(
        default=100, ge=1, le=1500, alias="ANALYTICS_FETCH_MAX_WAIT_MS"
    )
    # How long the analytics worker's producer holds a message for others to go with it
    # (Faust's producer_linger_ms; the other workers send at once, for the interactive
    # path). Its changelog records and forwarded chunks leave in bursts, and a dashboard
    # is pushed every ANALYTICS_PUSH_SECONDS: a few ms cost it nothing.
    analytics_producer_linger_ms: int = Field(
        default=10, ge=0, le=1000, alias="ANALYTICS_PRODUCER_LINGER_MS"
    )
    # The changes feed (GET /changes): `refactortrack retention run` deletes an agency's
    # rows recorded longer ago than this; a system away longer re-reads its lists instead.
    changes_retention_days: int = Field(default=90, ge=1, alias="CHANGES_RETENTION_DAYS")

    @field_validator(
        "kafka_admin_username",
        "kafka_gateway_username",
        "kafka_worker_username",
        "kafka_jobs_username",
    )
    @classmethod
    def _plain_username(cls, value: str) -> str:
        if not KAFKA_USERNAME.fullmatch(value):
            raise ValueError(
                f"{value!r} is not a Kafka username we accept: 1-64 letters, digits, "
                "'.', '_' or '-', starting with a letter or digit"
            )
        return value

    @model_validator(mode="after")
    def _one_principal_each(self) -> Settings:
        # Two roles under one name would merge their ACLs: least privilege is gone.
        seen: dict[str, str] = {}
        for role in KAFKA_ROLE_USE:
            name = self._kafka_username(role)
            if name in seen:
                raise ValueError(
                    f"KAFKA_{role.upper()}_USERNAME and KAFKA_{seen[name].upper()}_USERNAME "
                    f"are both {name!r}: each kind of process needs a principal of its own"
                )
            seen[name] = role
        return self

    @model_validator(mode="after")
    def _insync_within_replicas(self) -> Settings:
        # A topic whose min.insync.replicas exceeds its replicas refuses every acks=all write.
        if self.kafka_min_insync_replicas > self.kafka_replication_factor:
            raise ValueError(
                f"KAFKA_MIN_INSYNC_REPLICAS={self.kafka_min_insync_replicas} is more than "
                f"KAFKA_REPLICATION_FACTOR={self.kafka_replication_factor}: no write could "
                "ever be acknowledged; lower the first or raise the second (a common choice "
                "is a factor of 3 with 2 in sync)"
            )
        return self

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> Settings:
        if self.environment in ("staging", "production"):
            weak = []
            if len(self.jwt_secret) < 32:
                weak.append("JWT_SECRET (set a random value of 32+ characters)")
            if len(self.data_master_key) < 32:
                weak.append("DATA_MASTER_KEY (set a random value of 32+ characters)")
            if self.postgres_password == DEV_POSTGRES_PASSWORD:
                weak.append("POSTGRES_PASSWORD")
            if weak:
                raise ValueError(
                    f"RT_ENV={self.environment} refuses default secrets: " + ", ".join(weak)
                )
        return self

    @model_validator(mode="after")
    def _seal_real_people(self) -> Settings:
        if self.environment in ("staging", "production") and self.personal_data_sealing != "on":
            raise ValueError(
                f"RT_ENV={self.environment} refuses PERSONAL_DATA_SEALING="
                f"{self.personal_data_sealing}: turning sealing off is for measuring what it "
                "costs (make bench), never for a system that holds real people; unset it"
            )
        return self

    @property
    def traces_endpoint(self) -> str | None:
        """Where this process sends its spans (OTLP over HTTP), or None: tracing is off."""
        if self.otel_sdk_disabled:
            return None
        if self.otel_exporter_otlp_traces_endpoint:
            return self.otel_exporter_otlp_traces_endpoint
        if self.otel_exporter_otlp_endpoint:
            return self.otel_exporter_otlp_endpoint.rstrip("/") + "/v1/traces"
        return None

    @property
    def postgres_dsn(self) -> str:
        user = quote(self.postgres_user, safe="")
        password = quote(self.postgres_password, safe="")
        return (
            f"postgresql+asyncpg://{user}:{password}@{self.postgres_host}:"
            f"{self.postgres_port}/{self.postgres_db}"
        )

    @property
    def redis_url(self) -> str:
        scheme = "rediss" if self.redis_tls else "redis"
        login = ""
        if self.redis_password:
            user = quote(self.redis_username or "", safe="")
            login = f"{user}:{quote(self.redis_password, safe='')}@"
        return f"{scheme}://{login}{self.redis_host}:{self.redis_port}/{self.redis_db}"

    @property
    def kafka_broker_url(self) -> str:
        return ";".join(f"kafka://{hp}" for hp in self.kafka_bootstrap_servers.split(","))

    def _kafka_username(self, role: KafkaRole) -> str:
        return {
            "admin": self.kafka_admin_username,
            "gateway": self.kafka_gateway_username,
            "worker": self.kafka_worker_username,
            "jobs": self.kafka_jobs_username,
        }[role]

    def _kafka_password(self, role: KafkaRole) -> SecretStr | None:
        return {
            "admin": self.kafka_admin_password,
            "gateway": self.kafka_gateway_password,
            "worker": self.kafka_worker_password,
            "jobs": self.kafka_jobs_password,
        }[role]

    def kafka_username(self, role: KafkaRole) -> str:
        """The principal's name; needs no password, so the admin can write its ACLs."""
        return self._kafka_username(role)

    def has_kafka_password(self, role: KafkaRole) -> bool:
        password = self._kafka_password(role)
        return password is not None and bool(password.get_secret_value())

    def kafka_login(self, role: KafkaRole) -> KafkaLogin:
        """The role's login, or MissingSetting naming the variable to set."""
        password = self._kafka_password(role)
        if password is None or not password.get_secret_value():
            name = f"KAFKA_{role.upper()}_PASSWORD"
            raise MissingSetting(
                f"{name} is not set: it is the Kafka password of {self._kafka_username(role)!r}"
                f" ({KAFKA_ROLE_USE[role]}). Locally `refactortrack stack up` writes it to "
                f"{local_secrets_file()}; elsewhere set {name} in this process's environment."
            )
        return KafkaLogin(role, self._kafka_username(role), password)


@lru_cache
def get_settings() -> Settings:
    return Settings()
