"""Back up Safeguard's database with the audit anchor, and prove that a backup restores and verifies.

    .venv/bin/python scripts/backup.py dump /var/backups/safeguard
    .venv/bin/python scripts/backup.py restore-check /var/backups/safeguard/safeguard-20260301T020000Z.dump

dump            Seals the audit trail, copies the anchor the sealer wrote (AUDIT_ANCHOR_PATH) beside the dump, then
                takes a pg_dump in PostgreSQL's custom format, and writes the SHA-256 of both files. The anchor is
                copied before the dump starts, so the dump always holds the chain at least up to the anchor. Fails,
                taking no dump, when the sealer refuses (the chain no longer carries on from the anchor).
restore-check   Checks the SHA-256 of the dump and its anchor, restores the dump into a new, empty database on the
                same server, runs `manage.py verify_audit --anchor <the anchor saved with the dump>` against it,
                reports and drops that database (--keep leaves it). Exits non-zero if anything fails.

It connects as the site does (DATABASE_URL or the PG* variables, read through the site's settings), so run it with
the site's environment. The role needs CREATEDB for restore-check; pg_dump and pg_restore are taken from PG_BINDIR
when it is set, otherwise from the PATH. Copy the dump and its anchor somewhere else afterwards: the anchor is only
worth something kept apart from the machine that holds the database (docs/deployment.md).
"""

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safeguarding.settings")

import django  # noqa: E402

django.setup()

import psycopg  # noqa: E402
from django.conf import settings  # noqa: E402
from psycopg import sql  # noqa: E402

from safeguarding.audit.chain import SealRefused, anchor_read, seal  # noqa: E402

# Connection options of DATABASE_URL that libpq also reads from the environment.
LIBPQ_OPTIONS = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "connect_timeout": "PGCONNECT_TIMEOUT",
}


class BackupFailed(Exception):
    pass


def connection_settings(name: str | None = None) -> dict:
    database = settings.DATABASES["default"]
    if not database["ENGINE"].endswith("postgresql"):
        raise BackupFailed("The database is not PostgreSQL: back up the SQLite file instead.")
    values = {
        "host": database["HOST"],
        "port": str(database["PORT"] or ""),
        "user": database["USER"],
        "password": database["PASSWORD"],
        "dbname": name or database["NAME"],
        **{key: str(value) for key, value in database["OPTIONS"].items() if key in LIBPQ_OPTIONS},
    }
    return {key: value for key, value in values.items() if value}


def libpq_environment(name: str | None = None) -> dict:
    """The environment that points libpq tools (and the site's settings) at database `name`."""
    names = {"host": "PGHOST", "port": "PGPORT", "user": "PGUSER", "password": "PGPASSWORD", "dbname": "PGDATABASE"}
    names.update(LIBPQ_OPTIONS)
    replaced = {"DATABASE_URL", *names.values()}
    environment = {key: value for key, value in os.environ.items() if key not in replaced}
    environment.update({names[key]: value for key, value in connection_settings(name).items()})
    return environment


def tool(name: str) -> str:
    bindir = os.environ.get("PG_BINDIR")
    path = str(Path(bindir) / name) if bindir else shutil.which(name)
    if not path or not Path(path).exists():
        raise BackupFailed(f"{name} not found: install PostgreSQL's client programs or set PG_BINDIR.")
    return path


def run(command: list[str], *, environment: dict, check: bool = True) -> subprocess.CompletedProcess:
    # Only PostgreSQL's programs and manage.py, with arguments built here.
    result = subprocess.run(command, env=environment, capture_output=True, text=True, check=False, cwd=ROOT)  # noqa: S603
    if check and result.returncode != 0:
        raise BackupFailed(f"{Path(command[0]).name} failed:\n{result.stderr.strip()}")
    return result


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def anchor_path_for(dump: Path) -> Path:
    return dump.with_suffix(".anchor.json")


def checksum_path_for(dump: Path) -> Path:
    return dump.with_suffix(".sha256")


def dump(directory: Path) -> Path:
    """Seal, save the anchor, dump; returns the dump's path."""
    os.umask(0o077)  # a dump holds every child's records: readable by its owner only
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    stem = f"safeguard-{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
    target = directory / f"{stem}.dump"
    try:
        sealed, head = seal()
    except SealRefused as refusal:
        raise BackupFailed(str(refusal)) from refusal
    print(f"Sealed {sealed} audit events before the dump.")
    anchor = anchor_path_for(target)
    if head is not None:
        shutil.copyfile(settings.AUDIT_ANCHOR_PATH, anchor)
        saved = anchor_read(anchor)
        print(f"Anchor saved: {anchor} (sequence {saved.sequence}, sealed at {saved.sealed_at}).")
    else:
        print("The audit trail is empty: no anchor to save.")
    started = time.monotonic()
    run([tool("pg_dump"), "--format=custom", "--no-password", f"--file={target}"], environment=libpq_environment())
    files = [path for path in (target, anchor) if path.exists()]
    checksum_path_for(target).write_text("".join(f"{sha256(path)}  {path.name}\n" for path in files))
    size = target.stat().st_size / 1_000_000
    print(f"Dump written: {target} ({size:.1f} MB in {time.monotonic() - started:.1f} s).")
    return target


def checksums_check(target: Path) -> None:
    listing = checksum_path_for(target)
    if not listing.exists():
        raise BackupFailed(f"No checksum file {listing.name} beside the dump.")
    for line in listing.read_text().splitlines():
        expected, name = line.split(maxsplit=1)
        if not (target.parent / name).exists():
            raise BackupFailed(f"{name}, listed in {listing.name}, is missing.")
        if sha256(target.parent / name) != expected:
            raise BackupFailed(f"{name} does not match its checksum: the file was changed or damaged.")
    print(f"Checksums match ({listing.name}).")


def restore_check(target: Path, *, anchor: Path | None, keep: bool) -> None:
    checksums_check(target)
    anchor = anchor or anchor_path_for(target)
    if not anchor.exists():
        raise BackupFailed(f"No anchor {anchor.name} beside the dump: the chain cannot be checked against it.")
    name = f"{connection_settings()['dbname']}_restore_{os.getpid()}_{int(time.time())}"
    with psycopg.connect(**connection_settings(), autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    print(f"Created the empty database {name}.")
    try:
        started = time.monotonic()
        restore = [tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error", "--no-password"]
        run([*restore, f"--dbname={name}", str(target)], environment=libpq_environment())
        print(f"Restored {target.name} in {time.monotonic() - started:.1f} s: {restored_counts(name)}.")
        verify(name, anchor)
    finally:
        if keep:
            print(f"Kept the restored database {name}.")
        else:
            with psycopg.connect(**connection_settings(), autocommit=True) as connection:
                connection.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
            print(f"Dropped {name}.")


def restored_counts(name: str) -> str:
    tables = {"referrals_concern": "concerns", "audit_auditevent": "audit events", "audit_auditseal": "seals"}
    with psycopg.connect(**connection_settings(name)) as connection:
        query = sql.SQL("SELECT count(*) FROM {}")
        counts = [
            f"{connection.execute(query.format(sql.Identifier(table))).fetchone()[0]:,} {label}"
            for table, label in tables.items()
        ]
    return ", ".join(counts)


def verify(name: str, anchor: Path) -> None:
    """verify_audit in a separate process whose settings point at the restored database."""
    environment = libpq_environment(name)
    with tempfile.TemporaryDirectory() as scratch:
        # The sealer of a process that only verifies must not overwrite the site's own anchor.
        environment["AUDIT_ANCHOR_PATH"] = str(Path(scratch) / "unused-anchor.json")
        command = [sys.executable, str(ROOT / "manage.py"), "verify_audit", "--anchor", str(anchor)]
        result = run(command, environment=environment, check=False)
    report = (result.stdout + result.stderr).strip()
    print(f"verify_audit --anchor {anchor.name}: {report}")
    if result.returncode != 0:
        raise BackupFailed("The restored audit trail did not verify against the anchor saved with the dump.")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    dump_parser = commands.add_parser("dump", help="seal, save the anchor and pg_dump into DIRECTORY")
    dump_parser.add_argument("directory", type=Path)
    check_parser = commands.add_parser("restore-check", help="restore DUMP into a new database and verify it")
    check_parser.add_argument("dump", type=Path)
    check_parser.add_argument("--anchor", type=Path, help="default: the anchor saved beside the dump")
    check_parser.add_argument("--keep", action="store_true", help="keep the restored database")
    arguments = parser.parse_args(argv)
    try:
        if arguments.command == "dump":
            dump(arguments.directory)
        else:
            restore_check(arguments.dump, anchor=arguments.anchor, keep=arguments.keep)
    except BackupFailed as problem:
        print(f"FAILED: {problem}", file=sys.stderr)
        return 1
    print("Backup written." if arguments.command == "dump" else "Restore check passed.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
