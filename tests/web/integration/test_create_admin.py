"""`threshold web create-admin` on a fresh SQLite file, typed at a terminal (a pseudo-terminal):
the password asked for twice without echo, then refused while an administrator exists."""

from __future__ import annotations

import os
import pty
import select
import sqlite3
import sys
from pathlib import Path

from django.contrib.auth.hashers import PBKDF2PasswordHasher

from threshold.web.people.services import MSG_ADMIN_EXISTS

THRESHOLD = Path(sys.executable).parent / "threshold"
PASSWORD = "a first administrator's passphrase"


def at_terminal(args: list[str], database: Path, answers: list[str]) -> tuple[int, str]:
    """Run `threshold web ARGS` on a pseudo-terminal, typing each answer after the prompt
    before it ends in ': '; its exit status and everything it wrote."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["DATABASE_URL"] = f"sqlite:///{database}"
    pid, fd = pty.fork()
    if pid == 0:  # the child: the command, with the pseudo-terminal as its terminal
        os.execve(str(THRESHOLD), [str(THRESHOLD), "web", *args], env)
    output, pending = b"", list(answers)
    while True:
        ready, _, _ = select.select([fd], [], [], 120)
        if not ready:
            os.kill(pid, 9)
            break
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # the child has gone
            break
        if not chunk:
            break
        output += chunk
        if pending and output.rstrip(b" ").endswith(b":"):
            os.write(fd, pending.pop(0).encode() + b"\n")
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), output.decode(errors="replace")


def test_create_admin_asks_twice_then_refuses_a_second(tmp_path: Path) -> None:
    database = tmp_path / "threshold.sqlite3"
    args = ["create-admin", "--username", "root", "--email", "root@example.org"]
    code, output = at_terminal([*args, "--first-name", "Ada"], database, [PASSWORD, PASSWORD])
    assert code == 0, output
    assert "Password (again):" in output
    assert PASSWORD not in output  # not echoed
    assert "created system administrator root" in output
    with sqlite3.connect(database) as db:
        encoded, first_name = db.execute(
            "SELECT password, first_name FROM accounts_user WHERE username = 'root'"
        ).fetchone()
        [(role,)] = db.execute("SELECT role FROM accounts_membership").fetchall()
    assert PBKDF2PasswordHasher().verify(PASSWORD, encoded)  # the service's hasher, not the tests'
    assert (first_name, role) == ("Ada", "system_admin")

    code, output = at_terminal(
        ["create-admin", "--username", "two", "--email", "two@example.org"], database, []
    )
    assert code == 2
    assert MSG_ADMIN_EXISTS.format(usernames="root") in " ".join(output.split())
