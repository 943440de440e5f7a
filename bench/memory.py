"""Resident memory of the stack's and the system's processes, from /proc."""

from __future__ import annotations

from pathlib import Path

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


def _cmdline(pid_dir: Path) -> str:
    try:
        return (pid_dir / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _rss_kib(pid_dir: Path) -> int:
    try:
        for line in (pid_dir / "status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def resident_mib() -> dict[str, float]:
    totals = dict.fromkeys(PATTERNS, 0.0)
    for pid_dir in Path("/proc").iterdir():
        if not pid_dir.name.isdigit():
            continue
        cmd = _cmdline(pid_dir)
        for name, needle in PATTERNS.items():
            if needle in cmd:
                totals[name] += _rss_kib(pid_dir) / 1024
                break
    return totals
