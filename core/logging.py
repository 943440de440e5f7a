"""Logging for every process, with personal data masked on the way out.

Code logs ids, never addresses or names; but a driver's exception text can quote a row
(a unique-key violation names the email it clashed on), so every handler also masks
anything shaped like an email address or an E.164 phone number.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
from datetime import UTC, datetime
from typing import Any

from core.trace_context import current_ids

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(r"\+\d[\d ().-]{5,}\d")
# Loggers that servers configure with handlers of their own, besides the root's.
SERVER_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")
# Clients that log every request at INFO (a line per OpenSearch bulk, per HTTP call, per
# consumer-group step): warnings only, unless the process runs at DEBUG.
CHATTY_LIBRARIES = ("opensearch", "httpx", "httpcore", "urllib3", "aiokafka", "pymongo")


def _without_query_values(path: str) -> str:
    base, _, query = path.partition("?")
    if not query:
        return path
    names = [part.split("=", 1)[0] for part in query.split("&") if part]
    return base + "?" + "&".join(f"{name}=…" for name in names)


# What a line is about, set where the work starts (the gateway per request, the worker
# per command) and carried by asyncio into everything that work awaits.
REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
TENANT_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("tenant_id", default=None)
COMMAND_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("command_id", default=None)
CONTEXT = {"request_id": REQUEST_ID, "tenant_id": TENANT_ID, "command_id": COMMAND_ID}


class JsonLines(logging.Formatter):
    """One JSON object a line, for a log collector: time, level, logger, message, the
    ids of what the line is about (and of its trace, when a span is current), and the
    traceback if any."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update({name: value for name, var in CONTEXT.items() if (value := var.get())})
        # The span this line was written in, to find the line from a trace and back.
        if ids := current_ids():
            line["trace_id"], line["span_id"] = ids
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, default=str)


# A signed decimal with more digits after its point than any phone number has in all:
# a measurement (Faust logs timer drift as "+0.5482155429999693"), not a person's number.
SIGNED_DECIMAL = re.compile(r"\+\d{1,3}\.\d{13,}")


def _phone(match: re.Match[str]) -> str:
    return match[0] if SIGNED_DECIMAL.fullmatch(match[0]) else "<phone>"


def mask(text: str) -> str:
    return PHONE.sub(_phone, EMAIL.sub("<email>", text))


class MaskPersonalData(logging.Filter):
    """Rewrites a record's message and traceback with emails and phones masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "uvicorn.access" and isinstance(record.args, tuple):
            # A query string can hold what was searched for (a name, an address): the
            # access log keeps the path, and the query's parameter names only.
            record.args = tuple(
                _without_query_values(a) if i == 2 and isinstance(a, str) else a
                for i, a in enumerate(record.args)
            )
        message = record.getMessage()
        masked = mask(message)
        if masked != message:
            # No args, rather than None: some formatters (mode's) wrap None into (None,).
            record.msg, record.args = masked, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask(record.exc_text)
        return True


def _every_handler() -> list[logging.Handler]:
    loggers = [logging.getLogger(), *(logging.getLogger(n) for n in SERVER_LOGGERS)]
    handlers = [h for logger in loggers for h in logger.handlers]
    # A command-line job configures no handler: its warnings go to the last resort.
    if logging.lastResort is not None:
        handlers.append(logging.lastResort)
    return handlers


def mask_every_handler() -> None:
    """Put the mask on every handler configured so far (idempotent)."""
    for handler in _every_handler():
        if not any(isinstance(f, MaskPersonalData) for f in handler.filters):
            handler.addFilter(MaskPersonalData())


def format_every_handler(log_format: str) -> None:
    """`json`: every handler configured so far writes JSON lines (servers, Faust and the
    last resort alike); `console` leaves the human format each one has."""
    if log_format != "json":
        return
    formatter = JsonLines()
    for handler in _every_handler():
        handler.setFormatter(formatter)


def quiet_libraries() -> None:
    """Third-party INFO off: an operator reads the system's own lines, not its drivers'."""
    if logging.getLogger().getEffectiveLevel() <= logging.DEBUG:
        return
    for name in CHATTY_LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING)


def dict_config(level: str, log_format: str) -> dict[str, Any] | None:
    """A `logging.config` dict for a framework that sets logging up itself (Faust's
    worker), so its first lines are JSON too; None keeps its own human format."""
    if log_format != "json":
        return None
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonLines}},
        "handlers": {"default": {"class": "logging.StreamHandler", "formatter": "json"}},
        "root": {"level": level.upper(), "handlers": ["default"]},
    }


def configure_logging(level: str = "INFO", log_format: str = "console") -> None:
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    mask_every_handler()
    format_every_handler(log_format)
    quiet_libraries()
