"""A throwaway PostgreSQL server for the tests: initdb in a temporary folder, loopback only.

Found through Debian's layout (``/usr/lib/postgresql/<version>/bin``) or ``PG_BIN``.
PostgreSQL refuses to run as root, so as root the server runs as the ``postgres`` user
the package creates. Without PostgreSQL installed the tests that need it are skipped
with that reason; ``.ci/run`` installs it, so CI always runs them.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

__all__ = ["PostgresServer", "find_pg_bin"]


def find_pg_bin() -> Path | None:
    explicit = os.environ.get("PG_BIN")
    candidates = [explicit] if explicit else sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]),
        reverse=True)
    for candidate in candidates:
        if candidate and (Path(candidate) / "initdb").exists():
            return Path(candidate)
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PostgresServer:
    def __init__(self, bin_dir: Path, *, durable: bool = False) -> None:
        """``durable=False`` (tests) turns fsync off; benchmarks want PostgreSQL's own
        durable defaults, to compare fairly with TinyDB, which fsyncs every write."""
        self._bin = bin_dir
        self._durable = durable
        self._root = Path(tempfile.mkdtemp(prefix="notnow-pg-"))
        self.port = _free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self._as_postgres = os.geteuid() == 0

    def _run(self, *args: str) -> None:
        command = [str(self._bin / args[0]), *args[1:]]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def start(self) -> PostgresServer:
        data = self._root / "data"
        if self._as_postgres:
            shutil.chown(self._root, "postgres")
        self._run("initdb", "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8")
        options = (f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self._root} "
                   "-c max_connections=100")
        if not self._durable:
            options += " -c fsync=off -c synchronous_commit=off"
        self._run("pg_ctl", "-D", str(data), "-o", options, "-l", str(self._root / "log"),
                  "-w", "start")
        return self

    def restart(self) -> None:
        """Stop and start the server on the same port and data: every open connection
        dies, as in a real server restart (the options given at start are reused)."""
        self._run("pg_ctl", "-D", str(self._root / "data"), "-l", str(self._root / "log"),
                  "-m", "fast", "-w", "restart")

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self._root / "data"), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self._root, ignore_errors=True)
