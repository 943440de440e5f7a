"""Client companies and their contacts."""

from __future__ import annotations

from stores.postgres import tables
from stores.postgres.rows import Rows

CLIENTS = Rows(tables.clients, "client")
CONTACTS = Rows(tables.contacts, "contact")
