"""Write use cases of the community's lifecycle: checklists, reminders, monthly summaries (#14)."""

from incubateur.community.services.checklists import checklist_tick
from incubateur.community.services.digests import send_incubator_digests
from incubateur.community.services.reminders import leave_incubator_teams, send_reminders

__all__ = ["checklist_tick", "leave_incubator_teams", "send_incubator_digests", "send_reminders"]
