"""Programme dates, the allocation's random number and order on enrolments, and community-of-
practice meetings. Existing programmes run from 1 September to 31 July of their school year."""

import datetime as dt

from django.conf import settings
from django.db import migrations, models


def school_year_dates(apps, schema_editor):
    Programme = apps.get_model("programme", "Programme")
    for programme in Programme.objects.all():
        first = int(programme.school_year[:4])
        programme.starts_on = dt.date(first, 9, 1)
        programme.ends_on = dt.date(first + 1, 7, 31)
        programme.save(update_fields=["starts_on", "ends_on"])


class Migration(migrations.Migration):
    dependencies = [
        ("programme", "0001_initial"),
        ("organisations", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="programme",
            name="starts_on",
            field=models.DateField(null=True, help_text="First day sessions may be held."),
        ),
        migrations.AddField(
            model_name="programme",
            name="ends_on",
            field=models.DateField(null=True, help_text="Last day sessions may be held."),
        ),
        migrations.RunPython(school_year_dates, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="programme",
            name="starts_on",
            field=models.DateField(help_text="First day sessions may be held."),
        ),
        migrations.AlterField(
            model_name="programme",
            name="ends_on",
            field=models.DateField(help_text="Last day sessions may be held."),
        ),
        migrations.AddField(
            model_name="enrolment",
            name="random_number",
            field=models.FloatField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="enrolment",
            name="allocation_order",
            field=models.PositiveIntegerField(
                blank=True,
                null=True,
                help_text="Position in the block after sorting by random number.",
            ),
        ),
        migrations.CreateModel(
            name="CommunityMeeting",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("held_on", models.DateField()),
                (
                    "topics",
                    models.TextField(help_text="What was discussed, without identifying anyone."),
                ),
                (
                    "attendees",
                    models.ManyToManyField(
                        related_name="community_meetings", to=settings.AUTH_USER_MODEL
                    ),
                ),
                (
                    "authority",
                    models.ForeignKey(
                        on_delete=models.deletion.PROTECT,
                        related_name="community_meetings",
                        to="organisations.localauthority",
                    ),
                ),
            ],
            options={"ordering": ("-held_on",)},
        ),
    ]
