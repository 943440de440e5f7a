"""Microseconds per record by part, from py-spy's collapsed stacks (`--format raw`).

`python -m bench.profile_table bench/results/profile-import-before.txt --records 20000`
prints two Markdown tables: by **stage** (which agent or step of the command processor
the sample was in: the innermost stage frame on its stack) and by **kind of work** (the
innermost library or module it was in: SQL compilation, pydantic, sealing, sockets...).
A sample is 1 / rate seconds of one thread's time; idle threads are not sampled, but on
a loaded machine a thread waiting for a core is, so the absolute figures carry the
machine's contention and the shares are the steadier reading.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

# (label, substrings of a frame "function (file:line)"): the first rule that matches any
# frame of the stack wins, so the specific parts come before the agents that hold them.
STAGES: list[tuple[str, tuple[str, ...]]] = [
    ("handler: validate + normalise (prepare_create)", ("prepare_create (",)),
    (
        "handler: blind indexes + duplicates (contact_holders)",
        ("contact_holders (", "indexes (stores/at_rest"),
    ),
    ("handler: seal at rest + COPY candidates", ("_sealed_records (", "insert_candidates (")),
    (
        "handler: claim contact points + match keys",
        ("claim_contact_points (", "insert_match_keys ("),
    ),
    ("handler: MongoDB profiles", ("put_profiles (",)),
    ("handler: other", ("create_candidates (",)),
    ("processor: open sealed commands", ("open_commands (",)),
    ("processor: seal results", ("_sealed (agents/processor",)),
    ("processor: ledger", ("get_processed_many (", "record_processed_many (", "ledger_row (")),
    ("processor: audit entries", ("change_entries (", "append (stores/postgres/audit")),
    ("processor: events produced", ("_emit (agents/processor",)),
    ("processor: outcomes to Redis", ("record_outcomes (",)),
    ("processor: transaction + rest of _apply", ("CommandProcessor._apply (",)),
    ("processor: envelope parsing + grouping", ("process_batch (",)),
    ("search indexer (candidates)", ("index_candidates (", "search_indexer/")),
    ("changes feed recorder", ("agents/changes/",)),
    ("webhooks recorder", ("agents/webhooks/",)),
    ("analytics/other agents", ("agents/",)),
    (
        "Kafka consume (Faust + aiokafka fetch)",
        ("faust/", "aiokafka/consumer", "aiokafka/protocol"),
    ),
    ("Kafka produce (aiokafka sender)", ("aiokafka/producer",)),
    ("gazetteer warm-up (thread)", ("domain/geo.py",)),
    (
        "SQLAlchemy in its greenlet (the caller is not on the stack)",
        ("greenlet_spawn (", "sqlalchemy/"),
    ),
    ("event loop (callbacks, socket writes)", ("asyncio/",)),
]
# The gateway's share of a create, by step of the request (`--side gateway`).
GATEWAY_STAGES: list[tuple[str, tuple[str, ...]]] = [
    ("admission: 503 refusals (over COMMAND_CONCURRENCY)", ("_drain (", "problem (gateway/")),
    ("auth: token and the caller's standing", ("current_principal (", "Identities.")),
    ("seal the command (person key made in Postgres)", ("seal_command (", "Keyring.")),
    ("outcome key to Redis (mark_accepted)", ("mark_accepted (",)),
    ("publish to Kafka (send_and_wait, acks=all)", ("CommandBus._publish (", "aiokafka/")),
    ("outcome: Redis GET + pub/sub delivery", ("OutcomeWaiter.", "get_outcome (")),
    ("read the created candidate back (Postgres, MongoDB, unseal)", (".load (gateway/",)),
    ("response (JSON body, headers)", ("outcome_response (", "send_with_headers")),
    ("rest of the route (command bus)", ("CommandBus.submit (", "create_candidate (")),
    ("body parsing + validation (FastAPI, pydantic)", ("fastapi/", "pydantic")),
    ("middlewares (metrics, request id, limits)", ("gateway/",)),
    ("HTTP (uvicorn, httptools)", ("uvicorn/", "httptools")),
    (
        "SQLAlchemy/asyncpg in their greenlet (the caller is not on the stack)",
        ("greenlet_spawn (", "sqlalchemy/", "asyncpg/"),
    ),
    ("MongoDB client", ("pymongo/",)),
    ("Redis client", ("redis/",)),
    ("event loop (callbacks, socket writes)", ("asyncio/",)),
]
KINDS: list[tuple[str, tuple[str, ...]]] = [
    ("SQLAlchemy statement compilation", ("sqlalchemy/sql/",)),
    ("SQLAlchemy execution + asyncpg", ("sqlalchemy/", "asyncpg/")),
    ("pydantic validation", ("model_validate", "validate_python", "TypeAdapter.validate")),
    ("pydantic dump", ("model_dump",)),
    (
        "sealing / crypto",
        ("core/crypto", "topics/sealing", "stores/at_rest", "stores/sealing", "cryptography/"),
    ),
    ("phone/email normalisation", ("phonenumbers/", "contact_points")),
    ("JSON encode/decode", ("json/", "orjson", "jsoncodec")),
    ("OpenSearch client", ("opensearchpy/",)),
    ("MongoDB client", ("pymongo/", "bson/")),
    ("Redis client", ("redis/",)),
    ("Kafka client (aiokafka, Faust)", ("aiokafka/", "faust/", "mode/")),
    ("socket writes", ("Transport.write",)),
    ("event loop", ("asyncio/",)),
]


IDLE = "waiting in select (idle, as py-spy --nonblocking sees it)"
NATIVE = "no Python frame (native code, GIL hand-over)"


def classify(frames: list[str], rules: list[tuple[str, tuple[str, ...]]]) -> str:
    if not any(frames) or frames == [""]:
        return NATIVE
    if "Selector.select (" in frames[-1]:
        return IDLE
    for label, needles in rules:
        if any(n in frame for frame in frames for n in needles):
            return label
    return "other"


def innermost(frames: list[str], rules: list[tuple[str, tuple[str, ...]]]) -> str:
    """The kind of work of the deepest frame some rule knows (the leaf's library)."""
    first = classify(frames, [])
    if first != "other":
        return first
    for frame in reversed(frames):
        for label, needles in rules:
            if any(n in frame for n in needles):
                return label
    return "other"


def tables(
    path: Path,
    records: int,
    rate: float,
    stages: list[tuple[str, tuple[str, ...]]] = STAGES,
) -> str:
    by_stage: Counter[str] = Counter()
    by_kind: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames, n = stack.split(";"), int(count)
        total += n
        by_stage[classify(frames, stages)] += n
        by_kind[innermost(frames, KINDS)] += n
    out = []
    for title, counts in (("stage", by_stage), ("kind of work", by_kind)):
        out.append(f"| {title} | µs per candidate | share |\n|---|---:|---:|")
        for label, n in counts.most_common():
            us = n / rate / records * 1e6
            out.append(f"| {label} | {us:,.0f} | {n / total:.1%} |")
        out.append(f"| **total** | **{total / rate / records * 1e6:,.0f}** | 100% |\n")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("stacks", type=Path)
    parser.add_argument("--records", type=int, required=True)
    parser.add_argument("--rate", type=float, default=200.0, help="py-spy's samples per second")
    parser.add_argument(
        "--side",
        choices=("worker", "gateway"),
        default="worker",
        help="whose stages: the domain worker's (default) or the gateway's",
    )
    args = parser.parse_args()
    stages = GATEWAY_STAGES if args.side == "gateway" else STAGES
    print(tables(args.stacks, args.records, args.rate, stages))


if __name__ == "__main__":
    main()
