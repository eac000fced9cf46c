from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("insights", "0002_import_summary"),
    ]

    operations = [
        migrations.AddField(
            model_name="frontdoorimport",
            name="store_version",
            field=models.CharField(blank=True, max_length=16),
        ),
        migrations.AddField(
            model_name="frontdoorimport",
            name="key_fingerprint",
            field=models.CharField(blank=True, max_length=16),
        ),
    ]
