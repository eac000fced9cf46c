"""Lighthouse on the served web service: performance and accessibility of three pages.

The script makes a temporary directory with a fresh SQLite database, migrates and seeds it
(`threshold web seed-demo`, with a password it makes up), collects static files and starts
the service as production does (`threshold web serve`: gunicorn, production settings, DEBUG
off, whitenoise serving the compressed static files) on a free port of 127.0.0.1, as
benchmarks/web_load.py does. It signs in over HTTP as the demo people who use each page (a
DSL; the LA lead with the code `threshold web demo-code` gives), and runs Lighthouse
(`npx lighthouse@LIGHTHOUSE_VERSION`, installed into a cache folder on first use) with
Debian's Chromium on:

  - the sign-in page (nobody signed in),
  - a school's front-door dashboard (insights:school), as that school's DSL lead,
  - the LA's front-door dashboard (insights:authority), as the LA lead,

each with Lighthouse's mobile (its default: a slow 4G network and a 4× slower CPU, simulated)
and desktop presets. It prints the performance and accessibility scores, the metrics behind
performance (with the page's server response time, TTFB) and the titles of the audits that
failed. Each page is opened `--warm` times first: a gunicorn worker's first request imports
and sets up what the page needs (seconds), which a service that has been running has long
done. Lighthouse's CPU index (its benchmarkIndex) is printed too: on a busy machine it falls
and the simulated 4× slower CPU then exaggerates main-thread time (TBT), so compare figures
taken on a quiet machine, or the median of `--runs 3`.

Targets (issue 15): performance at least 95 and accessibility 100 on every page and preset;
the exit status is 0 only when all are met. Where Lighthouse cannot be installed (no network)
the script says so and exits 0: there is nothing to measure with. Without Chromium it says how
to install it and exits 2. The session cookie reaches Lighthouse's Chromium in
`--extra-headers`, with the X-Forwarded-Proto header a TLS proxy adds in production.

    .venv/bin/python benchmarks/lighthouse.py [--runs 1] [--port 0] [--warm 12] [--keep]
        [--only sign-in|school|authority] [--preset mobile|desktop]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from web_load import free_port, prepare, stop, threshold_command, wait_for_health

REPO = Path(__file__).resolve().parents[1]
LIGHTHOUSE_VERSION = "12.8.2"
"""Pinned: the last major version that runs on Node.js 20 (Debian's and the CI's)."""
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "threshold" / "npm"
CHROMIUM = Path(os.environ.get("CHROME_PATH", "/usr/bin/chromium"))
CHROME_FLAGS = "--headless=new --no-sandbox --disable-dev-shm-usage"
TARGET_PERFORMANCE = 95
TARGET_ACCESSIBILITY = 100

SIGN_IN = "/accounts/sign-in/"
TWO_FACTOR = "/accounts/two-factor/verify/"


@dataclass(frozen=True)
class Page:
    key: str
    path: str
    username: str | None
    """The seeded user who signs in to open it (None: nobody)."""


PAGES = (
    Page("sign-in", SIGN_IN, None),
    Page("school", "/insights/schools/990001/", "dsl.lead"),
    Page("authority", "/insights/la/990/", "la.lead"),
)
PRESETS = ("mobile", "desktop")
METRICS = (
    ("first-contentful-paint", "FCP"),
    ("largest-contentful-paint", "LCP"),
    ("total-blocking-time", "TBT"),
    ("cumulative-layout-shift", "CLS"),
    ("speed-index", "SI"),
)
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

MSG_NO_CHROMIUM = (
    "Chromium is not installed at {path}: install Debian's with `sudo apt-get install chromium` "
    "(or set CHROME_PATH to a Chrome or Chromium)"
)
MSG_NO_NPX = (
    "npx (Node.js) is not installed: install Node.js 18.16 or later (e.g. apt-get install npm)"
)
MSG_NO_LIGHTHOUSE = (
    "Lighthouse {version} could not be installed with npx (no network?), so nothing was "
    "measured:\n{detail}"
)


def lighthouse_command() -> list[str]:
    return ["npx", "--yes", f"lighthouse@{LIGHTHOUSE_VERSION}"]


def lighthouse_env() -> dict[str, str]:
    return {**os.environ, "npm_config_cache": str(CACHE), "CHROME_PATH": str(CHROMIUM)}


def install_lighthouse() -> str | None:
    """Install Lighthouse into the cache folder (once); None when it runs, else why not."""
    try:
        done = subprocess.run(
            [*lighthouse_command(), "--version"],
            env=lighthouse_env(),
            capture_output=True,
            text=True,
            timeout=600,
        )
    except subprocess.TimeoutExpired:
        return "npx took more than 10 minutes"
    if done.returncode != 0:
        return (done.stderr or done.stdout).strip()[-1500:]
    return None


class Client:
    """Just enough of a browser to sign in: its cookies, a new connection per request (the
    service closes idle ones after a few seconds)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, form: dict[str, str] | None = None
    ) -> tuple[int, str, str]:
        """(status, Location, body) of one request."""
        headers = {"Host": f"127.0.0.1:{self.port}", "X-Forwarded-Proto": "https"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = f"https://127.0.0.1:{self.port}"
            headers["Referer"] = f"https://127.0.0.1:{self.port}{path}"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
        finally:
            connection.close()
        for value in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(value)
            for name, morsel in cookie.items():
                self.cookies[name] = morsel.value
        return response.status, urlsplit(response.headers.get("Location", "")).path, text

    def post_form(self, path: str, fields: dict[str, str]) -> tuple[int, str]:
        """GET the form at `path`, POST `fields` with its CSRF token: (status, Location)."""
        _, _, text = self.request("GET", path)
        token = CSRF_INPUT.search(text)
        if token is None:
            raise SystemExit(f"{path} has no form with a CSRF token")
        status, location, _ = self.request(
            "POST", path, {"csrfmiddlewaretoken": token.group(1), **fields}
        )
        return status, location


def sign_in(port: int, page: str, username: str, password: str, env: dict[str, str]) -> str:
    """The session cookie of `username` signed in to open `page` (with a second factor when
    they need one)."""
    client = Client(port)
    status, _ = client.post_form(SIGN_IN, {"username": username, "password": password})
    if status != 302:
        raise SystemExit(f"signing in as {username} answered {status}, not a redirect")
    status, location, _ = client.request("GET", page)
    if status == 302 and location == TWO_FACTOR:
        code = subprocess.run(
            [*threshold_command(), "web", "demo-code", username],
            env=env,
            cwd=REPO,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        status, location = client.post_form(TWO_FACTOR, {"token": code})
        if status != 302 or location == TWO_FACTOR:
            raise SystemExit(f"{username}'s security code was refused")
        status, location, _ = client.request("GET", page)
    if status != 200:
        raise SystemExit(f"{page} answered {status} {location} to {username}, signed in")
    return f"sessionid={client.cookies['sessionid']}"


def warm_up(port: int, page: Page, cookie: str | None, times: int) -> None:
    """Open `page` `times` times first, as people would have: each gunicorn worker's first
    request imports and sets up what the page needs (seconds), which a service that has been
    running a while has long done."""
    client = Client(port)
    if cookie:
        name, value = cookie.split("=", 1)
        client.cookies[name] = value
    for _ in range(times):
        status, location, _ = client.request("GET", page.path)
        if status != 200:
            raise SystemExit(f"warming up: {page.path} answered {status} {location}")


@dataclass(frozen=True)
class Outcome:
    page: str
    preset: str
    performance: float
    accessibility: float
    metrics: dict[str, str]
    failed: tuple[str, ...]

    @property
    def met(self) -> bool:
        return self.performance >= TARGET_PERFORMANCE and self.accessibility >= TARGET_ACCESSIBILITY


def lighthouse(url: str, preset: str, headers: dict[str, str], out: Path) -> dict:
    """Lighthouse's JSON report of `url` with `preset`."""
    (out.parent / "headers.json").write_text(json.dumps(headers))
    command = [
        *lighthouse_command(),
        url,
        "--quiet",
        "--output=json",
        f"--output-path={out}",
        "--only-categories=performance,accessibility",
        f"--chrome-flags={CHROME_FLAGS}",
        f"--extra-headers={out.parent / 'headers.json'}",
    ]
    if preset == "desktop":
        command.append("--preset=desktop")
    subprocess.run(command, env=lighthouse_env(), check=True, cwd=out.parent)
    return json.loads(out.read_text())


def failed_audits(report: dict) -> tuple[str, ...]:
    """Titles of the audits in the two categories that failed (score below 0.9), metrics and
    audits the report hides apart, each with its figure where Lighthouse gives one."""
    metric_ids = {key for key, _ in METRICS} | {"interactive", "max-potential-fid"}
    titles = []
    for category in report["categories"].values():
        for ref in category["auditRefs"]:
            audit = report["audits"][ref["id"]]
            score = audit.get("score")
            if ref["id"] in metric_ids or ref.get("group") == "hidden" or score is None:
                continue
            if audit.get("scoreDisplayMode") in ("manual", "notApplicable", "informative"):
                continue
            if score < 0.9:
                shown = audit.get("displayValue")
                titles.append(f"{audit['title']}" + (f" ({shown})" if shown else ""))
    return tuple(dict.fromkeys(titles))


def measure(
    page: Page, preset: str, runs: int, base: str, cookie: str | None, work: Path
) -> Outcome:
    """The median scores of `runs` Lighthouse runs; metrics and failures of the median run."""
    headers = {"X-Forwarded-Proto": "https"} | ({"Cookie": cookie} if cookie else {})
    reports = []
    for number in range(runs):
        folder = work / f"{page.key}-{preset}-{number}"
        folder.mkdir()
        reports.append(lighthouse(base + page.path, preset, headers, folder / "report.json"))
    for report in reports:
        if report.get("runtimeError"):
            raise SystemExit(f"{page.key} ({preset}): {report['runtimeError']['message']}")
        final = urlsplit(report.get("finalDisplayedUrl", report.get("finalUrl", ""))).path
        if final != page.path:
            raise SystemExit(f"{page.key} ({preset}): Lighthouse ended at {final}, not {page.path}")

    def score(report: dict, category: str) -> float:
        return round((report["categories"][category]["score"] or 0) * 100)

    ranked = sorted(reports, key=lambda report: score(report, "performance"))
    median = ranked[len(ranked) // 2]
    return Outcome(
        page=page.key,
        preset=preset,
        performance=statistics.median(score(r, "performance") for r in reports),
        accessibility=statistics.median(score(r, "accessibility") for r in reports),
        metrics={
            **{short: median["audits"][key].get("displayValue", "–") for key, short in METRICS},
            "TTFB": f"{median['audits']['server-response-time'].get('numericValue', 0):,.0f} ms",
            "CPU index": f"{median.get('environment', {}).get('benchmarkIndex', 0):,.0f}",
        },
        failed=failed_audits(median),
    )


def print_outcome(outcome: Outcome) -> None:
    metrics = "  ".join(f"{name} {value}" for name, value in outcome.metrics.items())
    print(
        f"{outcome.page:<10} {outcome.preset:<8} performance {outcome.performance:>3.0f}  "
        f"accessibility {outcome.accessibility:>3.0f}  {'met' if outcome.met else 'NOT met'}"
    )
    print(f"    {metrics}")
    for title in outcome.failed:
        print(f"    failed: {title}")
    sys.stdout.flush()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1, help="runs per page and preset (median)")
    parser.add_argument("--port", type=int, default=0, help="port (0: a free one)")
    parser.add_argument("--only", choices=[page.key for page in PAGES], action="append")
    parser.add_argument("--preset", choices=PRESETS, action="append")
    parser.add_argument(
        "--warm", type=int, default=12, help="requests for each page before measuring (12)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be 1 or more")

    if not CHROMIUM.exists():
        print(MSG_NO_CHROMIUM.format(path=CHROMIUM), file=sys.stderr)
        return 2
    if shutil.which("npx") is None:
        print(MSG_NO_NPX, file=sys.stderr)
        return 2
    print(f"Lighthouse {LIGHTHOUSE_VERSION} (npm cache {CACHE}) with {CHROMIUM}", flush=True)
    problem = install_lighthouse()
    if problem is not None:
        print(MSG_NO_LIGHTHOUSE.format(version=LIGHTHOUSE_VERSION, detail=problem))
        return 0

    signal.signal(signal.SIGTERM, signal.default_int_handler)
    directory = Path(tempfile.mkdtemp(prefix="threshold-lighthouse-"))
    server = None
    outcomes: list[Outcome] = []
    try:
        password = secrets.token_urlsafe(18)
        env = prepare(directory, "production", password)
        port = args.port or free_port()
        command = [*threshold_command(), "web", "serve", "--port", str(port)]
        log = (directory / "server.log").open("wb")
        server = subprocess.Popen(
            command, env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        wait_for_health(port, server, timeout=300)
        print(
            f"serving on port {port}; cores {len(os.sched_getaffinity(0))}, load average "
            f"(1 min) {os.getloadavg()[0]:.2f}",
            flush=True,
        )
        base = f"http://127.0.0.1:{port}"
        pages = [page for page in PAGES if not args.only or page.key in args.only]
        for page in pages:
            cookie = (
                sign_in(port, page.path, page.username, password, env) if page.username else None
            )
            warm_up(port, page, cookie, args.warm)
            for preset in args.preset or PRESETS:
                outcome = measure(page, preset, args.runs, base, cookie, directory)
                print_outcome(outcome)
                outcomes.append(outcome)
        met = all(outcome.met for outcome in outcomes)
        print(f"load average (1 min) at the end {os.getloadavg()[0]:.2f}")
        print(
            f"\ntargets (performance >= {TARGET_PERFORMANCE}, accessibility = "
            f"{TARGET_ACCESSIBILITY}, every page and preset): {'met' if met else 'NOT met'}"
        )
        return 0 if met else 1
    except KeyboardInterrupt:
        print("interrupted: stopping the server", file=sys.stderr)
        return 130
    finally:
        if server is not None:
            stop(server)
        if args.keep:
            print(f"kept {directory} (Lighthouse's JSON reports are in it)")
        else:
            shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
