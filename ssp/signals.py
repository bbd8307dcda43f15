"""What the plan tells apps built on it, without importing them."""

from django.dispatch import Signal

# Sent by ``models.record_version`` for a final (not draft) version, inside its transaction, after the version row
# is saved; keyword arguments: ``version`` (the SspVersion) and ``assessment_id``. A receiver that fails rolls the
# version back with it.
final_version_recorded = Signal()
