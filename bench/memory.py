"""Which processes are which, by command line (bench/cluster.py reads their memory)."""

from __future__ import annotations

PATTERNS = {
    "postgres": "postgres",
    "redis": "redis-server",
    "kafka": "/kafka-",
    "opensearch": "/opensearch-",
    "ferretdb": "ferretdb",
    "gateway": "refactortrack gateway",
    "analytics worker": "refactortrack worker --agents analytics",
    "worker": "refactortrack worker",
}
