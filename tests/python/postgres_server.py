"""A private, throw-away PostgreSQL server for the tests.

The tests start their own cluster instead of using one the machine may run: a fresh
`initdb` in a temporary folder, a free TCP port on 127.0.0.1 and the Unix socket in
that folder, so a system service (the one the Debian package starts on 5432, say) is
neither needed nor touched. PostgreSQL refuses to run as root, so under root the server
runs as the `postgres` system user (created if missing) and owns its folder.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SERVER_USER = "postgres"  # the OS user the server runs as when the tests run as root
DATABASE_USER = "salesperf"  # the database superuser initdb creates, trusted without a password

INSTALL_HINT = (
    "PostgreSQL server binaries (initdb, pg_ctl) were not found on PATH, through"
    " `pg_config --bindir` or in /usr/lib/postgresql/*/bin. The PostgreSQL tests start"
    " their own server and need them: `./run test` installs them when run as root on"
    " Debian/Ubuntu; otherwise install the server yourself (`sudo apt-get install"
    " postgresql`, `brew install postgresql`, ...) or put its bin folder on PATH."
)


class PostgresNotInstalled(RuntimeError):
    """No PostgreSQL server binaries on this machine."""


def _has_server(folder: Path) -> bool:
    return (folder / "initdb").is_file() and (folder / "pg_ctl").is_file()


def find_bindir() -> Path | None:
    """The folder holding initdb and pg_ctl: from PATH, `pg_config --bindir`, or the
    newest /usr/lib/postgresql/<version>/bin (Debian keeps them off PATH)."""
    candidates: list[Path] = []
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(Path(os.path.realpath(on_path)).parent)
    if shutil.which("pg_config"):
        try:
            found = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=True)
            candidates.append(Path(found.stdout.strip()))
        except (OSError, subprocess.CalledProcessError):
            pass
    versions = glob.glob("/usr/lib/postgresql/*/bin")
    candidates += [Path(p) for p in sorted(versions, key=_version, reverse=True)]
    return next((folder for folder in candidates if _has_server(folder)), None)


def _version(path: str) -> tuple[int, ...]:
    version = Path(path).parent.name
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _server_user() -> str | None:
    """The OS user to run the server as: None when not root, else `postgres`, created as
    a system user if the machine has none (the Debian package normally creates it)."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SERVER_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin", SERVER_USER],
            check=True,
        )
    return SERVER_USER


@dataclass
class PostgresServer:
    """A running private cluster; `stop()` shuts it down and deletes its folder."""

    bindir: Path
    folder: Path
    port: int
    os_user: str | None
    host: str = "127.0.0.1"
    user: str = DATABASE_USER

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def _run(self, *command: str) -> subprocess.CompletedProcess[str]:
        """Run a server program, as the server's OS user when the tests run as root."""
        argv = [str(self.bindir / command[0]), *command[1:]]
        if self.os_user is not None:
            argv = ["runuser", "-u", self.os_user, "--", *argv]
        # PG* variables of the caller's shell must not redirect the private server's tools.
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        done = subprocess.run(argv, cwd=self.folder, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            log = self.folder / "server.log"
            raise RuntimeError(
                f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}{done.stderr}"
                + (f"\nserver log:\n{log.read_text()}" if log.exists() else "")
            )
        return done

    def initdb(self) -> None:
        self._run(
            "initdb", "--pgdata", str(self.data), "--username", self.user, "--auth", "trust",
            "--encoding", "UTF8", "--locale", "C", "--no-sync",
        )

    def start(self) -> None:
        options = " ".join([
            f"-p {self.port}",
            f"-k {self.folder}",
            "-c listen_addresses=127.0.0.1",
            # not UTC, and with daylight saving: results must not depend on the server's zone
            "-c timezone=America/New_York",
            # a test server keeps nothing worth a disk flush
            "-c fsync=off",
            "-c synchronous_commit=off",
            "-c full_page_writes=off",
        ])
        self._run("pg_ctl", "--pgdata", str(self.data), "--log", str(self.folder / "server.log"),
                  "--options", options, "--wait", "--timeout", "60", "start")

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run("pg_ctl", "--pgdata", str(self.data), "--mode", "fast", "--wait", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def dsn(self, database: str = "postgres") -> str:
        return f"host={self.host} port={self.port} user={self.user} dbname={database}"

    def create_database(self, name: str) -> None:
        import psycopg2

        pg = psycopg2.connect(self.dsn())
        try:
            pg.autocommit = True  # create database cannot run inside a transaction
            with pg.cursor() as cursor:
                cursor.execute(f'create database "{name}"')
        finally:
            pg.close()

    def environ(self, database: str) -> dict[str, str]:
        """The POSTGRES_* variables profiles.yml and salesperf.postgres read."""
        return {
            "POSTGRES_HOST": self.host,
            "POSTGRES_PORT": str(self.port),
            "POSTGRES_USER": self.user,
            "POSTGRES_PASSWORD": "",
            "POSTGRES_DB": database,
            "POSTGRES_SCHEMA": "public",
        }


def start_server() -> PostgresServer:
    """initdb and start a private cluster in a new temporary folder.

    Under root the folder is made in /tmp (not under pytest's folder or a TMPDIR that
    only root can enter) and given to the server's OS user. The free port is found just
    before the start; should another process take it meanwhile, the start is retried.
    """
    bindir = find_bindir()
    if bindir is None:
        raise PostgresNotInstalled(INSTALL_HINT)
    os_user = _server_user()
    folder = Path(tempfile.mkdtemp(prefix="salesperf-pg-", dir="/tmp" if os_user else None))
    if os_user is not None:
        entry = pwd.getpwnam(os_user)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
    server = PostgresServer(bindir=bindir, folder=folder, port=_free_port(), os_user=os_user)
    try:
        server.initdb()
        for attempt in range(3):
            try:
                server.start()
                break
            except RuntimeError:
                if attempt == 2:
                    raise
                server.port = _free_port()
    except BaseException:
        server.stop()
        raise
    return server


@contextmanager
def postgres_environment(server: PostgresServer, database: str) -> Iterator[None]:
    """POSTGRES_* naming `database` on the test server while inside, restored after:
    what profiles.yml and salesperf.postgres read."""
    settings = server.environ(database)
    saved = {name: os.environ.get(name) for name in settings}
    os.environ.update(settings)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
