"""Persistence: JSON documents by (kind, key) in SQLite, in memory or in `{state_dir}/state.sqlite3`.

Every write is its own transaction in WAL mode with full sync, so a crash loses at most the write in flight and
never leaves a half-written document. `transaction()` groups writes that must land together.

Documents are encoded with orjson (a listing page decodes a hundred of them: twice as fast as the standard library).
What it cannot hold never reaches the store: ARM bodies are read as 64-bit integers and finite numbers only.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson


class Store:
    def __init__(self, state_dir: Path | None = None) -> None:
        if state_dir is None:
            target = ":memory:"
        else:
            state_dir.mkdir(parents=True, exist_ok=True)
            target = str(state_dir / "state.sqlite3")
        # One connection shared under a lock: the server thread and data-plane workers both write.
        self._conn = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
        self._lock = threading.RLock()
        self._depth = 0
        # Counts writes (a rolled-back one too): whatever was read at one count still holds while it stands.
        self.generation = 0
        with self._lock:
            if state_dir is not None:
                self._conn.execute("PRAGMA journal_mode=WAL")
                self._conn.execute("PRAGMA synchronous=FULL")
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS docs (kind TEXT NOT NULL, key TEXT NOT NULL, doc TEXT NOT NULL,"
                " ord TEXT NOT NULL DEFAULT '', PRIMARY KEY (kind, key))"
            )
            columns = [row[1] for row in self._conn.execute("PRAGMA table_info(docs)")]
            # A state file from before listing orders: every document keeps its key as its order until rewritten.
            self.reordered = "ord" not in columns
            if self.reordered:
                self._conn.execute("ALTER TABLE docs ADD COLUMN ord TEXT NOT NULL DEFAULT ''")
                self._conn.execute("UPDATE docs SET ord = key")
            self._conn.execute("CREATE INDEX IF NOT EXISTS docs_order ON docs(kind, ord)")

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        with self._lock:
            outermost = self._depth == 0
            if outermost:
                self._conn.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield
            except BaseException:
                self._depth -= 1
                if outermost:
                    self._conn.execute("ROLLBACK")
                raise
            self._depth -= 1
            if outermost:
                self._conn.execute("COMMIT")

    def get(self, kind: str, key: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._conn.execute("SELECT doc FROM docs WHERE kind=? AND key=?", (kind, key)).fetchone()
        return None if row is None else orjson.loads(row[0])

    def put(self, kind: str, key: str, doc: dict[str, Any], order: str | None = None) -> None:
        """Write a document; `order` places it in listings (`page`), its key by default."""
        with self.transaction():
            self._conn.execute(
                "INSERT INTO docs(kind, key, doc, ord) VALUES(?,?,?,?)"
                " ON CONFLICT(kind, key) DO UPDATE SET doc=excluded.doc, ord=excluded.ord",
                (kind, key, orjson.dumps(doc).decode(), key if order is None else order),
            )
            self.generation += 1

    def delete(self, kind: str, key: str) -> bool:
        with self.transaction():
            cur = self._conn.execute("DELETE FROM docs WHERE kind=? AND key=?", (kind, key))
            self.generation += 1
        return cur.rowcount > 0

    def list(self, kind: str) -> list[dict[str, Any]]:
        """Every document of a kind, in key order."""
        return self.under(kind, "")

    def page(self, kind: str, prefix: str, after: str, limit: int) -> tuple[list[dict[str, Any]], str | None]:
        """Up to `limit` documents of a kind whose order starts with `prefix`, from just after the order `after`, in
        order; and the order to continue after when there are more. One index range read: its cost is the page's,
        whatever the kind holds, and documents written or deleted between pages neither repeat nor hide others."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT ord, doc FROM docs WHERE kind=? AND ord >= ? AND ord < ? AND ord > ? ORDER BY ord LIMIT ?",
                (kind, prefix, prefix + "\U0010ffff", after, limit + 1)).fetchall()
        more = len(rows) > limit
        return [orjson.loads(doc) for _, doc in rows[:limit]], rows[limit - 1][0] if more else None

    def put_bounded(self, kind: str, key: str, doc: dict[str, Any], prefix: str, keep: int) -> None:
        """Put, then drop the oldest (first in key order) of the kind's documents under `prefix` beyond `keep`."""
        with self.transaction():
            self.put(kind, key, doc)
            keys = self.keys(kind, prefix)
            for old in keys[:max(0, len(keys) - keep)]:
                self.delete(kind, old)

    def keys(self, kind: str, prefix: str = "") -> list[str]:
        """The keys of a kind that start with `prefix`, in order."""
        with self._lock:
            rows = self._conn.execute("SELECT key FROM docs WHERE kind=? AND key >= ? AND key < ? ORDER BY key",
                                      (kind, prefix, prefix + "\U0010ffff")).fetchall()
        return [r[0] for r in rows]

    def under(self, kind: str, prefix: str) -> list[dict[str, Any]]:
        """The documents of a kind whose keys start with `prefix`, in key order, in one read."""
        with self._lock:
            rows = self._conn.execute("SELECT doc FROM docs WHERE kind=? AND key >= ? AND key < ? ORDER BY key",
                                      (kind, prefix, prefix + "\U0010ffff")).fetchall()
        return [orjson.loads(r[0]) for r in rows]

    def close(self) -> None:
        with self._lock:
            self._conn.close()
