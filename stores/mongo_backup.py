"""A backup of the document database (MongoDB, or FerretDB locally) as one gzip'd BSON file.

`mongodump` speaks to MongoDB but is not there beside FerretDB, and a JSON export would
lose BSON types (binary resume files, dates). So the backup is a stream of BSON
documents written with PyMongo: a header, then one `{"c": collection, "d": document}`
per document, every collection of the database in turn. Restoring drops each collection
it holds and inserts the documents again; indexes are not in the file, `refactortrack
migrate` makes them (stores/mongo.py `ensure_indexes`). Sealed fields stay sealed: the
file holds what the database holds, nothing more (docs/operations.md, "Backups").
"""

from __future__ import annotations

import gzip
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, cast

import bson
from bson.binary import UuidRepresentation
from bson.codec_options import CodecOptions
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import ConnectionFailure

from core.settings import Settings
from stores.errors import unavailable_on

FORMAT = "refactortrack-mongo-backup"
VERSION = 1
BATCH = 500
# Read back exactly as written: binary stays binary, UUIDs as stored, dates with tz.
CODEC: CodecOptions[dict[str, Any]] = CodecOptions(
    document_class=dict, tz_aware=True, uuid_representation=UuidRepresentation.STANDARD
)


class NotABackup(ValueError):
    """The file is not a backup this code wrote (or is cut short)."""


@dataclass
class BackupSummary:
    database: str
    documents: dict[str, int] = field(default_factory=dict)

    def describe(self) -> str:
        held = ", ".join(f"{n} in {c}" for c, n in sorted(self.documents.items())) or "nothing"
        return f"{self.database}: {held}"


def _client(settings: Settings) -> AsyncMongoClient[dict[str, Any]]:
    return AsyncMongoClient(
        settings.mongo_url,
        uuidRepresentation="standard",
        tz_aware=True,
        serverSelectionTimeoutMS=5000,
    )


async def back_up(settings: Settings, path: Path) -> BackupSummary:
    """Write every collection of MONGODB_DB to `path` (written aside, then renamed)."""
    summary = BackupSummary(settings.mongo_db)
    partial = path.with_name(path.name + ".partial")
    client = _client(settings)
    try:
        with unavailable_on("mongodb", (ConnectionFailure,)):
            await _write(client[settings.mongo_db], partial, summary)
    finally:
        await client.close()
    partial.replace(path)
    return summary


async def _write(db: AsyncDatabase[dict[str, Any]], partial: Path, summary: BackupSummary) -> None:
    # The name in the gzip header is the final one, not the `.partial` being written.
    with partial.open("wb") as raw, gzip.GzipFile(partial.stem, "wb", fileobj=raw) as out:
        header = {"format": FORMAT, "version": VERSION, "database": summary.database}
        out.write(bson.encode({**header, "taken_at": datetime.now(UTC)}))
        for name in sorted(await db.list_collection_names()):
            count = 0
            async for doc in db[name].find({}, sort=[("_id", 1)]):
                out.write(bson.encode({"c": name, "d": doc}, codec_options=CODEC))
                count += 1
            summary.documents[name] = count
        out.write(bson.encode({"end": True, "collections": summary.documents}))


def _read(source: gzip.GzipFile) -> Iterator[dict[str, Any]]:
    try:
        yield from bson.decode_file_iter(cast(IO[bytes], source), codec_options=CODEC)
    except (bson.errors.InvalidBSON, OSError, EOFError) as exc:
        raise NotABackup(f"the file is damaged or cut short ({exc})") from exc


async def restore(settings: Settings, path: Path) -> BackupSummary:
    """Put the collections of the backup at `path` back into MONGODB_DB, replacing them.

    Collections the file does not hold are left alone. The file is read through once to
    check it is whole before any collection is dropped.
    """
    ends = _check_whole(path)
    summary = BackupSummary(settings.mongo_db)
    client = _client(settings)
    try:
        with unavailable_on("mongodb", (ConnectionFailure,)):
            await _load(client[settings.mongo_db], path, ends, summary)
    finally:
        await client.close()
    return summary


async def _load(
    db: AsyncDatabase[dict[str, Any]], path: Path, ends: dict[str, int], summary: BackupSummary
) -> None:
    with gzip.open(path, "rb") as source:
        records = _read(source)
        next(records)  # the header, checked already
        for name, group in itertools.groupby(records, key=lambda r: r.get("c")):
            if name is None:  # the end record
                break
            await db.drop_collection(name)
            summary.documents[name] = 0
            for chunk in _chunks(group, BATCH):
                await db[name].insert_many([r["d"] for r in chunk], ordered=False)
                summary.documents[name] += len(chunk)
    # A collection that was empty when backed up is empty after the restore too.
    for name, count in ends.items():
        if count == 0:
            await db.drop_collection(name)
            summary.documents[name] = 0


def _chunks(items: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    it = iter(items)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


def _check_whole(path: Path) -> dict[str, int]:
    """The documents of each collection, from the end record, once every record is read."""
    with gzip.open(path, "rb") as source:
        records = _read(source)
        header = next(records, None)
        if not header or header.get("format") != FORMAT:
            raise NotABackup(f"{path} is not a {FORMAT} file")
        if header.get("version") != VERSION:
            raise NotABackup(f"{path} is version {header.get('version')}; this reads {VERSION}")
        counts: dict[str, int] = {}
        for record in records:
            if record.get("end"):
                ends: dict[str, int] = record.get("collections", {})
                if {c: n for c, n in ends.items() if n} != counts:
                    raise NotABackup(f"{path} does not hold what its last record says")
                return ends
            counts[record["c"]] = counts.get(record["c"], 0) + 1
        raise NotABackup(f"{path} is cut short: it has no end record")
