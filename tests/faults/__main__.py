"""`make faults`: every fault scenario against real servers, one row each, non-zero on a miss.

    python -m tests.faults                      # all scenarios, full load, private stack
    python -m tests.faults --short              # the same with small loads
    python -m tests.faults --only poison kill9_worker
    python -m tests.faults --shared --only poison   # the shared stack (no server is stopped)

By default the suite starts a private stack (deploy/local/stack.sh with its own state dir
and ports, see stack.py), since its scenarios stop and kill servers that other people's
work uses, and stops it at the end (`--keep-stack` leaves it up for the next run).
Its stores are scratch ones (`*_test`, `*-test`), emptied first; the variables below
(POSTGRES_DB, TOPIC_NAMESPACE, ...) may be set to use others.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

from rich.console import Console

from core.settings import get_settings
from tests.faults.report import render, write_json
from tests.faults.scenarios import Scale, catalogue, run_guarded
from tests.faults.stack import DEFAULT_PORT_BASE, ROOT, PrivateStack
from tests.faults.system import Harness
from tests.harness.scratch import empty_scratch_stores

RESULTS = ROOT / "tests" / "faults" / "results"
# Piped into a log (CI, `| tee`), rich would wrap the table to 80 columns.
console = Console() if sys.stdout.isatty() else Console(width=240)

# Scratch stores of the suite's own (tests/harness/scratch.py empties only such names).
SCRATCH_ENV = {
    "RT_ENV": "test",
    "POSTGRES_DB": "refactortrack_faults_test",
    "MONGODB_DB": "refactortrack_faults_test",
    "REDIS_DB": "3",
    "INDEX_PREFIX": "rt-faults-test",
    "TOPIC_NAMESPACE": "rt-faults-test",
    "WORKER_ID": "refactortrack-faults-test",
    "WORKER_DATA_DIR": os.path.join(os.environ.get("TMPDIR", "/tmp"), "refactortrack-faults"),
}

# The load is one agency sending far more than people would: no rate limit in the way.
FORCED_ENV = {"RATE_LIMIT_PER_MINUTE": "0", "AGENCY_RATE_LIMIT_PER_MINUTE": "0"}


def _arguments() -> argparse.Namespace:
    names = list(catalogue())
    parser = argparse.ArgumentParser(
        prog="python -m tests.faults", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--only", nargs="+", choices=names, help="run these scenarios only")
    parser.add_argument("--short", action="store_true", help="small loads (CI's size)")
    parser.add_argument(
        "--shared",
        action="store_true",
        help="use the shared stack (scenarios that stop a server are skipped)",
    )
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=Path(os.environ.get("TMPDIR", "/tmp")) / "refactortrack-faults-stack",
        help="the private stack's RT_STATE_DIR",
    )
    parser.add_argument("--port-base", type=int, default=DEFAULT_PORT_BASE)
    parser.add_argument("--keep-stack", action="store_true", help="leave the private stack running")
    return parser.parse_args()


async def _run(args: argparse.Namespace, stack: PrivateStack | None) -> int:
    env = {**SCRATCH_ENV, **os.environ, **FORCED_ENV}
    if stack is not None:
        env.update(stack.app_env())
    os.environ.update(env)
    get_settings.cache_clear()
    settings = get_settings()
    await empty_scratch_stores(settings)
    harness = Harness(settings, env, RESULTS / "logs", stack)
    scale = Scale.short() if args.short else Scale.full()
    scenarios = catalogue()
    chosen = args.only or list(scenarios)
    results = []
    for name in chosen:
        console.print(f"[bold]{name}[/] …")
        result = await run_guarded(scenarios[name], harness, scale, name)
        missed = result.missed()
        state = result.skipped or ("ok" if not missed else "; ".join(missed))
        console.print(f"  {name}: {state} ({result.seconds:.0f} s)")
        results.append(result)
    render(results, console)
    meta = {
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "stack": "private" if stack else "shared",
        "scale": "short" if args.short else "full",
        "settings": {
            "worker_session_timeout_seconds": settings.worker_session_timeout_seconds,
            "command_wait_seconds": settings.command_wait_seconds,
            "topic_namespace": settings.topic_namespace,
            "postgres": f"{settings.postgres_host}:{settings.postgres_port}/{settings.postgres_db}",
            "kafka": settings.kafka_bootstrap_servers,
        },
    }
    out = write_json(results, RESULTS, meta)
    console.print(f"raw figures: {out}  logs: {harness.log_dir}")
    return 1 if any(r.missed() for r in results) else 0


def main() -> None:
    args = _arguments()
    stack = None if args.shared else PrivateStack(args.state_dir.resolve(), args.port_base)
    if stack is not None:
        console.print(f"private stack in {stack.state_dir} (ports from {stack.port_base})")
        stack.up()
    try:
        code = asyncio.run(_run(args, stack))
    finally:
        if stack is not None and not args.keep_stack:
            stack.down()
    sys.exit(code)


if __name__ == "__main__":
    main()
