from django.db import migrations


class Migration(migrations.Migration):
    """The rate-limit counter now belongs to the site layer (cmmc_site/0001): Django forgets it here without
    touching the table, which the model there keeps using."""

    dependencies = [
        ("accounts", "0001_initial"),
        ("cmmc_site", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="RateCounter")],
            database_operations=[],
        ),
    ]
