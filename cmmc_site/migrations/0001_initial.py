from django.db import migrations, models


class Migration(migrations.Migration):
    """The rate-limit counter moves here from the accounts app (accounts/0002): only Django's record of the model
    moves; the table, accounts_ratecounter, and its rows stay as they are."""

    initial = True

    dependencies = [
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="RateCounter",
                    fields=[
                        ("key", models.CharField(max_length=120, primary_key=True, serialize=False)),
                        ("count", models.PositiveIntegerField(default=0)),
                        ("expires_at", models.DateTimeField(db_index=True)),
                    ],
                    options={
                        "db_table": "accounts_ratecounter",
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
