"""Load on the served web service: concurrent signed-in users of every role on loopback,
SQLite behind it.

The script makes a temporary directory with a fresh SQLite database, migrates and seeds it
(`threshold web seed-demo`, with a password it makes up), gives every simulated user of a role
with a second factor an account of its own (a copy of the demo user's, with its own
authenticator app: a code is accepted once, so one account cannot sign in fifty times),
collects static files, and starts the service as production does (`threshold web serve`,
gunicorn, production settings) on a free port of 127.0.0.1. When /health/ answers, the
simulated users (threads, each with its own connection and cookies) sign in one after another
over `--ramp` seconds the real way (password, then the current code of their app, computed with
django-otp as the service checks it), each then loading its first page and the static files a
browser would. Once all are signed in, the measured window of `--seconds` begins: every user
opens pages from its role's mix (USERS, PAGES) with a think time between them. Then they sign
out and the server stops.

Every request's status and latency is recorded, by page (its URL pattern). An error is a
status of 400 or more, an unexpected status (a page that should answer 200 redirecting to
sign-in, say) or an exception (a refused connection, a time-out: 30 s for a page, 120 s while
signing in). Figures are printed for signing in, the window (with how many users were signed
in) and signing out apart: sign-in is slow by design (PBKDF2 with Django's 1,000,000
iterations, about 0.7 s of CPU) and is not what users do minute by minute. Then the CPU
used in the window, read from /proc for the server's processes (gunicorn; the jobs worker and
scheduler apart) and from getrusage for the simulated users, in ms per request and in cores:
the load generator runs on the same machine and takes its share of the cores.

Targets (issue 17): 50 concurrent users of every role for 2 minutes, zero errors (in all three
phases), and every page's p95 latency in the window at most 150 ms. The exit status is 0 only
when all are met. Gunicorn can be tuned for a run with GUNICORN_CMD_ARGS (e.g. "--workers 3
--threads 8").

    .venv/bin/python benchmarks/web_load.py [--users 50] [--seconds 120] [--port 0]
        [--think 1.0] [--ramp 60] [--settings production|dev] [--keep]
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import random
import re
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

REPO = Path(__file__).resolve().parents[1]
TARGET_P95_MS = 150.0
"""Every page's p95 in the window must be at most this (issue 17)."""
SIGN_IN_TIMEOUT = 120.0
PAGE_TIMEOUT = 30.0
"""Seconds a request may take before it counts as an error: signing in (PBKDF2, and every user
signing in during the ramp) may queue longer on a busy machine than a page may."""
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
"""Units of CPU time in /proc/PID/stat per second."""

SIGN_IN = "/accounts/sign-in/"
SIGN_OUT = "/accounts/sign-out/"
VERIFY = "/accounts/two-factor/verify/?next=/"

Page = tuple[str, int, str | None]
"""(path, weight, source): `{urn}` and `{la_code}` in a path become the user's school and LA; a
`*` stands for one path segment of a link this user has seen on `source` (a page of the same
mix), which is opened in its place while no such link has been seen."""

DSL_PAGES: tuple[Page, ...] = (
    ("/", 4, None),
    ("/schedule/", 2, None),
    ("/schedule/{urn}/", 3, None),
    ("/supervision/", 3, None),
    ("/supervision/sessions/*/worksheet/", 2, "/supervision/"),
    ("/insights/schools/{urn}/", 3, None),
    ("/guidance/", 1, None),
    ("/guidance/la/{la_code}/", 1, None),
    ("/guidance/outcomes/", 1, None),
    ("/surveys/mine/", 1, None),
    ("/health/", 1, None),
)
LA_LEAD_PAGES: tuple[Page, ...] = (
    ("/", 2, None),
    ("/insights/", 1, None),
    ("/insights/la/{la_code}/", 4, None),
    ("/insights/schools/*/", 4, "/insights/la/{la_code}/"),
    ("/insights/la/{la_code}/imports/", 1, None),
    ("/programmes/", 1, None),
    ("/programmes/*/", 1, "/programmes/"),
    ("/take-up/", 1, None),
    ("/supervision/", 1, None),
    ("/trials/", 1, None),
    ("/trials/*/", 1, "/trials/"),
    ("/surveys/", 1, None),
    ("/surveys/waves/*/", 1, "/surveys/"),
    ("/people/", 1, None),
    ("/people/*/", 1, "/people/"),
    ("/audit/", 1, None),
    ("/guidance/calls/", 1, None),
    ("/guidance/summary/", 1, None),
    ("/guidance/la/{la_code}/", 1, None),
)
LA_ANALYST_PAGES: tuple[Page, ...] = (
    ("/", 2, None),
    ("/insights/la/{la_code}/", 5, None),
    ("/insights/schools/*/", 4, "/insights/la/{la_code}/"),
    ("/insights/la/{la_code}/imports/", 2, None),
    ("/insights/imports/*/", 2, "/insights/la/{la_code}/imports/"),
    ("/insights/la/{la_code}/import/", 1, None),
    ("/insights/la/{la_code}/quarantine/", 2, None),
    ("/trials/", 1, None),
    ("/surveys/", 1, None),
)
SSW_PAGES: tuple[Page, ...] = (
    ("/", 4, None),
    ("/schedule/", 3, None),
    ("/schedule/*/", 2, "/schedule/"),
    ("/supervision/", 3, None),
    ("/supervision/sessions/*/record/", 2, "/supervision/"),
    ("/supervision/ad-hoc/", 1, None),
    ("/take-up/", 1, None),
    ("/guidance/calls/", 2, None),
    ("/guidance/calls/*/", 1, "/guidance/calls/"),
    ("/community-of-practice/", 1, None),
)
EVALUATOR_PAGES: tuple[Page, ...] = (
    ("/", 2, None),
    ("/trials/", 3, None),
    ("/trials/*/", 3, "/trials/"),
    ("/surveys/", 2, None),
    ("/surveys/waves/*/", 1, "/surveys/"),
)
ADMIN_PAGES: tuple[Page, ...] = (
    ("/", 2, None),
    ("/people/", 3, None),
    ("/people/*/", 2, "/people/"),
    ("/audit/", 3, None),
    ("/organisations/", 2, None),
    ("/organisations/{la_code}/", 1, None),
    ("/jobs/failed/", 1, None),
    ("/help/", 1, None),
)
HOME = {"urn": "990001", "la_code": "990"}
USERS: tuple[tuple[str, dict[str, str], tuple[Page, ...]], ...] = (
    ("la.lead", HOME, LA_LEAD_PAGES),
    ("la.analyst", HOME, LA_ANALYST_PAGES),
    ("ssw", HOME, SSW_PAGES),
    ("dsl.lead", HOME, DSL_PAGES),
    ("dsl.deputy", HOME, DSL_PAGES),
    ("la.lead", HOME, LA_LEAD_PAGES),
    ("la.analyst", HOME, LA_ANALYST_PAGES),
    ("ssw", HOME, SSW_PAGES),
    ("evaluator", HOME, EVALUATOR_PAGES),
    ("admin", HOME, ADMIN_PAGES),
)
"""(seeded username, its places, its page mix): simulated user n takes USERS[n % len(USERS)].
A user whose role needs a second factor signs in as a copy of its own (`{username}-{n}`, made
by ACCOUNTS_SCRIPT); DSLs, without one, share the seeded accounts."""

ACCOUNTS_SCRIPT = """
import json
from django_otp.plugins.otp_totp.models import TOTPDevice
from threshold.web.accounts.demo import seed_demo_authenticators
from threshold.web.accounts.models import User
from threshold.web.accounts.selectors import two_factor_required
from threshold.web.accounts.services import membership_grant
made = {}
for name, copy in json.loads(%r):
    seeded = User.objects.get(username=name)
    if not two_factor_required(seeded):
        continue
    user = User.objects.create(username=copy, password=seeded.password, email=seeded.email)
    for m in seeded.memberships.all():
        place = {"authority": m.authority, "school": m.school}
        membership_grant(user=user, role=m.role, by="web_load", **place)
    seed_demo_authenticators(users=[user], by="web_load")
    made[copy] = TOTPDevice.objects.get(user=user).key
print("ACCOUNTS " + json.dumps(made))
"""
"""Run by `manage.py shell -c` with [(seeded username, copy's username)]: a copy (same
password hash and memberships, its own confirmed authenticator app) of each seeded user who
needs a second factor; prints the copies' app keys (hex)."""

ASSET = re.compile(r'(?:href|src)="(/assets/[^"]+\.(?:css|js))"')
LINK = re.compile(r'href="(/[^"#?]*)"')
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass
class Sample:
    page: str
    started: float
    seconds: float
    error: str | None


@dataclass
class Results:
    samples: list[Sample] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, sample: Sample) -> None:
        with self.lock:
            self.samples.append(sample)


class Browser:
    """One user's connection and cookies; every request is timed and recorded."""

    def __init__(self, port: int, results: Results) -> None:
        self.port = port
        self.origin = f"https://127.0.0.1:{port}"
        self.results = results
        self.cookies: dict[str, str] = {}
        self.links: set[str] = set()
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=SIGN_IN_TIMEOUT)

    def request(
        self,
        method: str,
        path: str,
        *,
        page: str,
        expect: tuple[int, ...] = (200,),
        form: dict[str, str] | None = None,
        referer: str | None = None,
    ) -> tuple[int, dict[str, str], str]:
        headers = {
            "Host": f"127.0.0.1:{self.port}",
            # TLS ends at a proxy in production; this is what the proxy adds.
            "X-Forwarded-Proto": "https",
            "Accept-Encoding": "identity",
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = self.origin
            headers["Referer"] = self.origin + (referer or path)
        started = time.perf_counter()
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            text = response.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as error:
            self.connection.close()
            self.results.add(
                Sample(page, started, time.perf_counter() - started, type(error).__name__)
            )
            return 0, {}, ""
        seconds = time.perf_counter() - started
        for value in response.headers.get_all("Set-Cookie") or []:
            self._remember(value)
        status = response.status
        error = None
        if status >= 400 or status not in expect:
            location = response.headers.get("Location", "")
            error = f"{status}" + (f" to {urlsplit(location).path}" if location else "")
        self.results.add(Sample(page, started, seconds, error))
        if status == 200 and "html" in response.headers.get("Content-Type", ""):
            self.links.update(LINK.findall(text))
        return status, dict(response.headers.items()), text

    def _remember(self, header: str) -> None:
        cookie = SimpleCookie()
        cookie.load(header)
        for name, morsel in cookie.items():
            if morsel.value == "" or morsel["max-age"] == "0":
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = morsel.value

    def time_out_after(self, seconds: float) -> None:
        self.connection.timeout = seconds
        if self.connection.sock is not None:
            self.connection.sock.settimeout(seconds)

    def close(self) -> None:
        self.connection.close()


class Run:
    """What the users share: the results, when all have signed in, and when to stop."""

    def __init__(self, users: int) -> None:
        self.results = Results()
        self.waiting = users
        self.in_use = 0
        self.lock = threading.Lock()
        self.all_signed_in = threading.Event()
        self.stop = threading.Event()

    def signed_in(self, *, ok: bool) -> None:
        with self.lock:
            self.in_use += ok
            self.waiting -= 1
            if self.waiting == 0:
                self.all_signed_in.set()


def account(number: int, keys: dict[str, str]) -> tuple[str, str | None]:
    """Simulated user `number`'s username and, for a copy with an authenticator app, its key."""
    username = USERS[number % len(USERS)][0]
    copy = f"{username}-{number}"
    return (copy, keys[copy]) if copy in keys else (username, None)


def current_code(key: str) -> str:
    """The code an authenticator app with `key` (hex) shows now, as django-otp computes it."""
    from django_otp.oath import TOTP

    return f"{TOTP(bytes.fromhex(key)).token():06d}"


def page_path(
    page: Page, places: dict[str, str], links: set[str], rng: random.Random
) -> tuple[str, str]:
    """(path to open, page it is counted under) for `page`: a link seen that fits its `*`, else
    its source page."""
    pattern, _, source = page
    pattern = pattern.format(**places)
    if "*" not in pattern:
        return pattern, page[0]
    fits = re.compile("[^/]+".join(re.escape(part) for part in pattern.split("*")))
    seen = sorted(link for link in links if fits.fullmatch(link))
    if seen:
        return rng.choice(seen), page[0]
    assert source is not None, page
    return source.format(**places), source


def sign_in(browser: Browser, username: str, password: str, key: str | None) -> bool:
    """Password, then (for a user with an app) the app's current code; whether it worked."""
    _, _, text = browser.request("GET", SIGN_IN, page="sign-in (form)")
    token = CSRF_INPUT.search(text)
    if token is None:  # the failure is recorded; without the form this user cannot go on
        return False
    form = {"csrfmiddlewaretoken": token.group(1), "username": username, "password": password}
    status, _, _ = browser.request("POST", SIGN_IN, page="sign-in (post)", expect=(302,), form=form)
    if status != 302:
        return False
    if key is None:
        return True
    _, _, text = browser.request("GET", VERIFY, page="two-factor (form)")
    token = CSRF_INPUT.search(text)
    if token is None:
        return False
    form = {"csrfmiddlewaretoken": token.group(1), "token": current_code(key)}
    status, _, _ = browser.request(
        "POST", VERIFY, page="two-factor (post)", expect=(302,), form=form
    )
    return status == 302


def simulated_user(
    number: int,
    port: int,
    password: str,
    keys: dict[str, str],
    run: Run,
    *,
    start_in: float,
    think: float,
) -> None:
    """Sign in, open the first page as a browser would, tell `run` so, then open pages
    from the role's mix until `run.stop`, and sign out."""
    _, places, pages = USERS[number % len(USERS)]
    username, key = account(number, keys)
    weights = [weight for _, weight, _ in pages]
    rng = random.Random(number)
    browser = Browser(port, run.results)
    told = False
    try:
        time.sleep(start_in)
        if not sign_in(browser, username, password, key):
            return
        browser.time_out_after(PAGE_TIMEOUT)
        _, _, text = browser.request("GET", "/", page="/")
        for asset in sorted(set(ASSET.findall(text))):  # a browser's first, uncached page
            browser.request("GET", asset, page="static file")
        run.signed_in(ok=True)
        told = True
        while not run.stop.wait(rng.uniform(0.5, 1.5) * think):
            path, page = page_path(rng.choices(pages, weights)[0], places, browser.links, rng)
            browser.request("GET", path, page=page)
        _, _, text = browser.request("GET", "/", page="/")
        token = CSRF_INPUT.search(text)
        browser.request(
            "POST",
            SIGN_OUT,
            page="sign-out",
            expect=(302,),
            form={"csrfmiddlewaretoken": token.group(1) if token else ""},
            referer="/",
        )
    finally:
        if not told:
            run.signed_in(ok=False)
        browser.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def threshold_command() -> list[str]:
    beside = Path(sys.executable).with_name("threshold")
    return [str(beside if beside.exists() else shutil.which("threshold") or "threshold")]


def prepare(
    directory: Path, settings: str, password: str, users: int
) -> tuple[dict[str, str], dict[str, str]]:
    """Environment for a fresh database in `directory`, migrated, seeded (with an account of
    its own for each of `users` simulated users who needs a second factor), static files
    collected; and those accounts' app keys."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": f"threshold.web.config.settings.{settings}",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": f"sqlite:///{directory / 'threshold.sqlite3'}",
        "THRESHOLD_STATIC_ROOT": str(directory / "static"),
        "THRESHOLD_DEMO_PASSWORD": password,
    }
    subprocess.run([*threshold_command(), "web", "seed-demo"], env=env, check=True, cwd=REPO)
    copies = [(USERS[n % len(USERS)][0], f"{USERS[n % len(USERS)][0]}-{n}") for n in range(users)]
    made = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", ACCOUNTS_SCRIPT % json.dumps(copies)],
        env=env,
        check=True,
        cwd=REPO,
        capture_output=True,
        text=True,
    ).stdout
    keys = json.loads(made[made.rindex("ACCOUNTS ") + len("ACCOUNTS ") :])
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "--verbosity", "0"],
        env=env,
        check=True,
        cwd=REPO,
    )
    return env, keys


def wait_for_health(port: int, server: subprocess.Popen[bytes], timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server stopped (exit {server.returncode}) before answering")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/health/", headers={"X-Forwarded-Proto": "https"})
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"/health/ did not answer within {timeout:.0f} s")


def stop(server: subprocess.Popen[bytes]) -> None:
    """SIGTERM: gunicorn finishes the requests in hand and stops its workers."""
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def server_cpu(session: int) -> dict[str, float]:
    """CPU seconds (user + system) used so far by each live process of the server's session
    (`threshold web serve`: gunicorn's master and workers, the jobs worker, the scheduler),
    by its command line, from /proc."""
    used: dict[str, float] = defaultdict(float)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
            command = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:  # it ended meanwhile
            continue
        fields = text[text.rindex(")") + 2 :].split()
        if int(fields[3]) == session:  # field 6 of proc(5): the session id
            kind = "jobs" if ("db_worker" in command or "jobs_scheduler" in command) else "web"
            used[kind] += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return used


def own_cpu() -> float:
    """CPU seconds (user + system) this process (the simulated users) has used so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def cpu_report(
    server: tuple[dict[str, float], dict[str, float]],
    generator: tuple[float, float],
    requests: int,
    seconds: float,
) -> None:
    """Print the CPU the server and the load generator used in the window, per request and
    as cores busy (they share the machine)."""
    (before, after), (mine_before, mine_after) = server, generator
    print(f"\nCPU in the window ({requests} requests, {seconds:.1f} s)")
    rows = [(kind, after.get(kind, 0.0) - before.get(kind, 0.0)) for kind in ("web", "jobs")]
    rows.append(("load generator", mine_after - mine_before))
    names = {"web": "server (gunicorn)", "jobs": "jobs worker + scheduler"}
    for kind, used in rows:
        per_request = used / requests * 1000 if requests else float("nan")
        print(
            f"  {names.get(kind, kind):<26}{used:>8.1f} s  {per_request:>6.1f} ms/request"
            f"  {used / seconds:>5.2f} cores"
        )


def percentile(sorted_values: list[float], q: float) -> float:
    """The nearest-rank percentile (q = 100: the largest)."""
    if not sorted_values:
        return float("nan")
    rank = math.ceil(q / 100 * len(sorted_values))
    return sorted_values[min(len(sorted_values), max(1, rank)) - 1]


def summary(title: str, samples: list[Sample], seconds: float, *, target: bool) -> list[str]:
    """Print the figures for `samples` (over `seconds`), in all and by page (with the p95
    target beside each when `target`); return the pages whose p95 is above it."""
    latencies = sorted(s.seconds * 1000 for s in samples)
    errors = Counter(f"{s.page}: {s.error}" for s in samples if s.error)
    print(f"\n{title}")
    print(f"  requests    {len(samples):>8}")
    print(f"  errors      {sum(errors.values()):>8}")
    for kind, count in errors.most_common():
        print(f"    {count:>8}  {kind}")
    if seconds:
        print(f"  throughput  {len(samples) / seconds:>8.1f} requests/s")
    for name, q in (("p50", 50), ("p95", 95), ("p99", 99), ("max", 100)):
        print(f"  {name}         {percentile(latencies, q):>8.1f} ms")
    by_page: dict[str, list[float]] = defaultdict(list)
    for sample in samples:
        by_page[sample.page].append(sample.seconds * 1000)
    page_errors = Counter(s.page for s in samples if s.error)
    print(
        f"  {'page':<36}{'requests':>9}{'errors':>7}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}"
        + (f"{'target':>9}" if target else "")
    )
    slow = []
    for page, values in sorted(by_page.items()):
        values.sort()
        p95 = percentile(values, 95)
        over = target and p95 > TARGET_P95_MS
        slow += [page] if over else []
        print(
            f"  {page:<36}{len(values):>9}{page_errors[page]:>7}{percentile(values, 50):>9.1f}"
            f"{p95:>9.1f}{values[-1]:>9.1f}"
            + (f"{TARGET_P95_MS:>9.0f}{'  ABOVE' if over else ''}" if target else "")
        )
    return slow


def report(run: Run, window: tuple[float, float], users: int) -> bool:
    """The measured window (all users signed in) against the targets, by page; sign-in and
    sign-out apart. Errors count wherever they happen."""
    start, end = window
    samples = run.results.samples
    before = [s for s in samples if s.started < start]
    during = [s for s in samples if start <= s.started < end]
    after = [s for s in samples if s.started >= end]
    summary(f"signing in ({users} users, before the window)", before, 0, target=False)
    slow = summary(
        f"window: {run.in_use} of {users} users signed in, {end - start:.1f} s",
        during,
        end - start,
        target=True,
    )
    summary("signing out (after the window)", after, 0, target=False)
    errors = sum(1 for s in samples if s.error)
    met = errors == 0 and bool(during) and not slow
    print(
        f"\ntargets (zero errors, every page's window p95 <= {TARGET_P95_MS:.0f} ms): "
        f"{'met' if met else 'NOT met'} ({errors} errors in all; "
        f"{len(slow)} pages above the target{': ' + ', '.join(slow) if slow else ''})"
    )
    return met


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50, help="concurrent users (50)")
    parser.add_argument("--seconds", type=float, default=120, help="measured window, s (120)")
    parser.add_argument("--port", type=int, default=0, help="port (0: a free one)")
    parser.add_argument("--think", type=float, default=1.0, help="mean think time, s (1.0)")
    parser.add_argument("--ramp", type=float, default=60, help="users sign in over this many s")
    parser.add_argument("--settings", choices=("production", "dev"), default="production")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()

    signal.signal(signal.SIGTERM, signal.default_int_handler)  # stopped: clean up as for Ctrl+C
    directory = Path(tempfile.mkdtemp(prefix="threshold-load-"))
    server = None
    run = None
    try:
        password = secrets.token_urlsafe(18)
        env, keys = prepare(directory, args.settings, password, args.users)
        port = args.port or free_port()
        command = [*threshold_command(), "web", "serve", "--port", str(port)]
        log = (directory / "server.log").open("wb")
        server = subprocess.Popen(
            command, env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            wait_for_health(port, server)
        except SystemExit:
            log.flush()
            print((directory / "server.log").read_text()[-3000:], file=sys.stderr)
            raise
        tuning = os.environ.get("GUNICORN_CMD_ARGS")
        print(
            f"serving: {' '.join(command[1:])}"
            + (f" (GUNICORN_CMD_ARGS={tuning!r})" if tuning else "")
            + f"; cores {len(os.sched_getaffinity(0))}",
            flush=True,
        )

        run = Run(args.users)
        threads = [
            threading.Thread(
                target=simulated_user,
                args=(number, port, password, keys, run),
                kwargs={"start_in": args.ramp * number / args.users, "think": args.think},
                daemon=True,
            )
            for number in range(args.users)
        ]
        for thread in threads:
            thread.start()
        while not run.all_signed_in.wait(0.5):  # short waits, so that Ctrl+C is seen
            pass
        load = [os.getloadavg()[0]]
        cpu = ([server_cpu(server.pid)], [own_cpu()])
        start = time.perf_counter()
        seconds = args.seconds if run.in_use else 0  # no window when nobody could sign in
        while (left := start + seconds - time.perf_counter()) > 0:
            time.sleep(min(left, 0.5))
        end = time.perf_counter()
        cpu[0].append(server_cpu(server.pid))
        cpu[1].append(own_cpu())
        load.append(os.getloadavg()[0])
        run.stop.set()
        for thread in threads:
            while thread.is_alive():
                thread.join(timeout=0.5)
        print(f"load average (1 min) {load[0]:.2f} at the window's start, {load[1]:.2f} at its end")
        met = report(run, (start, end), args.users)
        in_window = sum(1 for s in run.results.samples if start <= s.started < end)
        cpu_report((cpu[0][0], cpu[0][1]), (cpu[1][0], cpu[1][1]), in_window, end - start)
        return 0 if met else 1
    except KeyboardInterrupt:
        print("interrupted: stopping the server", file=sys.stderr)
        if run is not None:
            run.stop.set()
        return 130
    finally:
        if server is not None:
            stop(server)
            log_text = (directory / "server.log").read_text(errors="replace")
            print(*[line for line in log_text.splitlines() if "Threshold is at" in line][:1])
        if args.keep:
            print(f"kept {directory}")
        else:
            shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
