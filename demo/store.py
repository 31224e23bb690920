"""The demo's second resource: a visit log in SQLite, at a path taken from the configuration."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiosqlite


@dataclass(frozen=True)
class Visit:
    path: str
    at: str


class VisitStore:
    """Records which page was visited when, on one ``aiosqlite`` connection."""

    def __init__(self, db: aiosqlite.Connection, path: str) -> None:
        self._db = db
        self.path = path

    async def add(self, page: str) -> int:
        """Record a visit of ``page``; return how many visits are recorded in all."""
        await self._db.execute("INSERT INTO visits (path) VALUES (?)", (page,))
        await self._db.commit()
        return await self.count()

    async def count(self) -> int:
        async with self._db.execute("SELECT COUNT(*) FROM visits") as cursor:
            row = await cursor.fetchone()
        assert row is not None  # COUNT(*) always gives one row
        return int(row[0])

    async def recent(self, limit: int = 10) -> list[Visit]:
        query = "SELECT path, at FROM visits ORDER BY id DESC LIMIT ?"
        async with self._db.execute(query, (limit,)) as cursor:
            rows = await cursor.fetchall()
        return [Visit(path=str(path), at=str(at)) for path, at in rows]


async def open_store(path: str) -> AsyncIterator[VisitStore]:
    """Open the SQLite file at ``path`` (created if missing) for the length of the lifespan."""
    async with aiosqlite.connect(path) as db:
        await db.execute(
            "CREATE TABLE IF NOT EXISTS visits (id INTEGER PRIMARY KEY, path TEXT NOT NULL,"
            " at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')))"
        )
        await db.commit()
        yield VisitStore(db, path)
