from django.db import models


class RateCounter(models.Model):
    """One fixed-window rate-limit counter (cmmc_site/ratelimit.py), shared by every app server.

    A table of its own rather than the cache: the database cache's ``incr`` reads then writes, so simultaneous
    requests undercount, and its culling may evict counters.
    """

    key = models.CharField(max_length=120, primary_key=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        # The table the accounts app created when the model lived there: moving the model kept it (see
        # cmmc_site/migrations/0001_initial.py).
        db_table = "accounts_ratecounter"

    def __str__(self) -> str:
        return f"{self.key}={self.count}"
