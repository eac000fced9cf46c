"""The periodic jobs' scheduler: slots, one enqueue per slot however many schedulers tick, no
backlog on a new installation, and a real worker running what it enqueued."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from factories.jobs import run_jobs
from threshold.web.audit.models import AuditAction, AuditEvent
from threshold.web.audit.services import record_event
from threshold.web.audit.tasks import ACTOR
from threshold.web.jobs.models import ScheduledRun
from threshold.web.jobs.schedules import SCHEDULES, Schedule, schedule_tick

LONDON = ZoneInfo("Europe/London")


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=LONDON)


@pytest.mark.parametrize(
    ("now", "slot"),
    [
        ("2026-12-02 02:00", "2026-12-02 02:00"),  # due exactly now
        ("2026-12-02 01:59", "2026-12-01 02:00"),  # not yet today: yesterday's
        ("2026-03-29 03:30", "2026-03-29 02:00"),  # the night the clocks go forward
    ],
)
def test_a_daily_schedule_is_due_at_its_time_each_day(now: str, slot: str) -> None:
    daily = Schedule(name="d", task="x", at=dt.time(2, 0))
    assert daily.latest_slot(at(now)) == at(slot)
    assert daily.cadence == "every day at 02:00"


@pytest.mark.parametrize(
    ("now", "slot"),
    [
        ("2026-11-30 07:00", "2026-11-30 07:00"),  # Monday at 07:00
        ("2026-11-30 06:59", "2026-11-23 07:00"),  # Monday before 07:00: last week's
        ("2026-12-06 23:00", "2026-11-30 07:00"),  # Sunday
    ],
)
def test_a_weekly_schedule_is_due_on_its_day(now: str, slot: str) -> None:
    weekly = Schedule(name="w", task="x", at=dt.time(7, 0), weekday=0)
    assert weekly.latest_slot(at(now)) == at(slot)
    assert weekly.cadence == "every Monday at 07:00"


@pytest.mark.django_db
def test_the_first_tick_records_the_slot_without_a_backlog_and_each_slot_runs_once() -> None:
    assert schedule_tick(now=at("2026-12-01 12:00")) == []
    assert ScheduledRun.objects.count() == len(SCHEDULES)
    assert schedule_tick(now=at("2026-12-01 12:05")) == []  # same slots (hourly at :10)
    later = schedule_tick(now=at("2026-12-09 12:00"))  # nights and a Monday missed: run once
    assert sorted(run.name for run in later) == sorted(s.name for s in SCHEDULES)
    assert all(run.task_id for run in later)
    assert schedule_tick(now=at("2026-12-09 12:01")) == []


@pytest.mark.django_db
def test_a_slot_another_scheduler_took_is_not_enqueued_again() -> None:
    schedule_tick(now=at("2026-12-01 12:00"))
    for schedule in SCHEDULES:
        ScheduledRun.objects.create(
            name=schedule.name, slot=schedule.latest_slot(at("2026-12-09 12:00")), task_id="t"
        )
    assert schedule_tick(now=at("2026-12-09 12:00")) == []


def anchors(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@pytest.mark.django_db(transaction=True)
def test_the_nightly_anchor_is_enqueued_and_run_by_a_real_worker(
    settings: object, tmp_path: Path
) -> None:
    settings.AUDIT_ANCHOR_FILE = tmp_path / "anchors.jsonl"
    record_event(by="test", action=AuditAction.READ, object_type="test", object_id="1")
    schedule_tick(now=at("2026-12-01 12:00"))
    before = anchors(settings.AUDIT_ANCHOR_FILE)
    assert not AuditEvent.objects.filter(actor=ACTOR).exists()
    assert "audit-anchor" in {r.name for r in schedule_tick(now=at("2026-12-02 12:00"))}
    head = AuditEvent.objects.order_by("-sequence").first()
    run_jobs()
    *kept, anchor = anchors(settings.AUDIT_ANCHOR_FILE)
    assert kept == before
    assert (anchor["sequence"], anchor["hash"]) == (head.sequence, head.hash)
    assert AuditEvent.objects.get(actor=ACTOR).action == AuditAction.ANCHOR


@pytest.mark.django_db
def test_the_scheduler_command_ticks_once_and_names_its_schedules() -> None:
    output = io.StringIO()
    call_command("jobs_scheduler", "--once", stdout=output)
    assert "audit-anchor every day at 02:00" in output.getvalue()
    assert ScheduledRun.objects.filter(name="audit-anchor").exists()
