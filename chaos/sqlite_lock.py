"""Hold a SQLite database's write lock for a while, as a stuck writer would.

    python chaos/sqlite_lock.py DATABASE_FILE SECONDS

Prints "locked" once it holds the lock (BEGIN IMMEDIATE), then releases it after SECONDS.
"""

from __future__ import annotations

import sqlite3
import sys
import time


def main(path: str, seconds: float) -> None:
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    print("locked", flush=True)
    time.sleep(seconds)  # the fault: nobody else can write meanwhile
    conn.execute("ROLLBACK")
    conn.close()
    print("released", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]))
