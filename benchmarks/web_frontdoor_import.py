"""Front-door import of a large LA export through the web service, end to end: the upload kept
for its job (`import_job_create`), then the job run by django-tasks' database worker as
`threshold web worker` runs it (`import_job_run`: read, map, check, link and pseudonymise into
the LA's store, then the store's contacts copied into the database and committed, audited).

The export is the core benchmark's (benchmarks/frontdoor_import.py, the mapped layout: one LA's
messy contacts export, about 1.5% of rows repeated, a few rows quarantined). The database is a
fresh SQLite file (WAL) under production settings, migrated and seeded with the LA's schools
from the GIAS register in tests/data (`organisations_import`) and an analyst who uploads. Three
imports run one after another, each in a child process so that its peak memory is its own:
the file (every contact new), the same file again (nothing changes), and the file with the
outcome of 1% of its contacts changed (those updated). For each the wall time, CPU time and
peak memory of the child are printed beside the target (issue 17): 1,000,000 rows <= 60 s end
to end (read, validate, link, commit).

    .venv/bin/python benchmarks/web_frontdoor_import.py [--rows 1000000] [--distinct 20000]
        [--seed 1] [--profile] [--database postgres://...]

With `--database` the imports go to that (empty, migrated here) PostgreSQL database instead;
its tables are left as the run leaves them.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from frontdoor_import import (  # the core benchmark's export and helpers
    OUTCOMES,
    _peak_memory,
    child_figures,
    register_with_la,
    timing,
    write_export,
)

SETTINGS = "threshold.web.config.settings.production"
UPLOADER = "analyst"
CHANGED_SHARE = 0.01
"""The share of the export's contacts whose outcome the third import changes."""


def change_outcomes(source: Path, target: Path, share: float, rng: np.random.Generator) -> int:
    """Write `source` to `target` with the outcome of `share` of its contacts (every row of
    each) changed to another outcome; how many contacts were changed."""
    frame = pd.read_csv(source, dtype=str, keep_default_na=False, encoding="cp1252")
    ids = frame["Contact Ref"].unique()
    picked = rng.choice(ids, size=round(len(ids) * share), replace=False)
    rows = frame["Contact Ref"].isin(picked)
    meaning = {spelling: i // 2 for i, spelling in enumerate(OUTCOMES)}  # two spellings each
    other = {s: OUTCOMES[(2 * (meaning[s] + 1)) % len(OUTCOMES)] for s in OUTCOMES}
    frame.loc[rows, "Outcome of contact"] = frame.loc[rows, "Outcome of contact"].map(other)
    frame.to_csv(target, index=False, encoding="cp1252", lineterminator="\r\n")
    return len(picked)


def _django(database: str) -> None:
    """Set up Django with production settings on `database`."""
    os.environ.update(
        DJANGO_SETTINGS_MODULE=SETTINGS,
        DJANGO_SECRET_KEY=os.environ.get("BENCHMARK_SECRET_KEY", ""),
        ALLOWED_HOSTS="localhost",
        DATABASE_URL=database,
    )
    import django

    django.setup()


def run_setup(args: argparse.Namespace) -> None:
    """The first child: migrate the database and seed the LA, its schools and the uploader."""
    _django(args.database)
    from django.core.management import call_command

    from threshold.web.accounts.roles import RoleName
    from threshold.web.accounts.services import membership_grant, user_create
    from threshold.web.organisations.models import LocalAuthority
    from threshold.web.organisations.services import organisations_import

    call_command("migrate", "--no-input", "--verbosity", "0")
    schools = pd.read_pickle(args.register)
    schools = schools[schools["la_code"] == args.la].assign(phase="primary")
    organisations_import(
        local_authorities=pd.DataFrame({"la_code": [args.la], "la_name": [f"LA {args.la}"]}),
        schools=schools[["urn", "name", "la_code", "phase"]],
        by="benchmark",
    )
    user = user_create(username=UPLOADER, by="benchmark")
    authority = LocalAuthority.objects.get(la_code=args.la)
    membership_grant(user=user, role=RoleName.LA_ANALYST, authority=authority, by="benchmark")


def run_import(args: argparse.Namespace) -> None:
    """A child: upload the export as a job, run the job with the database worker, and print
    what it cost as JSON."""
    _django(args.database)
    from django.core.files.uploadedfile import UploadedFile
    from django.core.management import call_command

    from threshold.cli.web import WORKER
    from threshold.web.accounts.models import User
    from threshold.web.insights.services import import_job_create
    from threshold.web.organisations.models import LocalAuthority

    export = Path(args.export)
    user = User.objects.get(username=UPLOADER)
    authority = LocalAuthority.objects.get(la_code=args.la)
    before = _peak_memory()
    wall, cpu = time.perf_counter(), time.process_time()
    with export.open("rb") as file, Path(args.profile_file).open("rb") as mapping:
        job = import_job_create(
            authority=authority,
            upload=UploadedFile(file, name=export.name),
            format="mapped",
            profile=UploadedFile(mapping, name=Path(args.profile_file).name),
            site_url="http://localhost",
            by=user,
        )
    kept = time.perf_counter() - wall
    profiler = cProfile.Profile() if args.profile else None
    if profiler:
        profiler.enable()
    call_command(*WORKER, "--batch", "--interval", "0", "--no-startup-delay", "--verbosity", "0")
    if profiler:
        profiler.disable()
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(40)
    figures = {"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu, "kept": kept}
    job.refresh_from_db()
    if job.record is None:
        sys.exit(f"the import job failed: {job.error}")
    figures |= {
        "rss_before": before,
        "rss_peak": _peak_memory(),
        "records": job.record.records,
        "quarantined": job.record.quarantined,
        "contacts": job.record.summary["contacts"],
    }
    print(json.dumps(figures))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--distinct", type=int, default=20_000, help="distinct school strings")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", action="store_true", help="print cProfile's top 40")
    parser.add_argument("--database", help="a PostgreSQL URL (default: a new SQLite file)")
    parser.add_argument("--child", choices=("setup", "import"), help=argparse.SUPPRESS)
    for name in ("--export", "--register", "--la", "--profile-file"):
        parser.add_argument(name, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "setup":
        run_setup(args)
        return
    if args.child == "import":
        run_import(args)
        return
    from threshold.synth import MESSY_PROFILE

    register = register_with_la()
    la_code = register["la_code"].value_counts().index[0]
    rng = np.random.default_rng(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        export = directory / f"contacts_{la_code}.csv"
        started = time.perf_counter()
        write_export(export, register, la_code, args.rows, args.distinct, "mapped", rng)
        changed = directory / f"contacts_{la_code}_later.csv"
        n_changed = change_outcomes(export, changed, CHANGED_SHARE, rng)
        register.to_pickle(directory / "register.pkl")
        print(
            f"export: {args.rows:,} rows (mapped), {export.stat().st_size / 2**20:.0f} MiB, LA "
            f"{la_code} ({(register['la_code'] == la_code).sum()} schools); a copy with "
            f"{n_changed:,} contacts' outcomes changed; written in "
            f"{time.perf_counter() - started:.1f} s"
        )
        database = args.database or f"sqlite:///{directory / 'threshold.sqlite3'}"
        environment = os.environ | {"BENCHMARK_SECRET_KEY": secrets.token_urlsafe(48)}
        common = [sys.executable, __file__, "--database", database, "--la", la_code]
        common += ["--register", str(directory / "register.pkl")]
        subprocess.run([*common, "--child", "setup"], check=True, env=environment)
        runs = (("first import", export), ("re-import", export), ("1% changed", changed))
        for label, path in runs:
            command = [*common, "--child", "import", "--export", str(path)]
            command += ["--profile-file", str(MESSY_PROFILE)]
            command += ["--profile"] if args.profile else []
            figures = child_figures(command, profile=args.profile, env=environment)
            kept = f"the upload kept in {figures['kept']:.1f} s"
            print(f"{label}: {timing(figures, args.rows)}; {kept}")
            contacts = figures["contacts"]
            print(
                f"  records {figures['records']:,}, quarantined {figures['quarantined']:,}; "
                f"contacts in the database: created {contacts['created']:,}, updated "
                f"{contacts['updated']:,}, deleted {contacts['deleted']:,}, unchanged "
                f"{contacts['unchanged']:,}"
            )


if __name__ == "__main__":
    main()
