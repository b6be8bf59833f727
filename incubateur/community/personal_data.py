"""What the community app holds about a person (PERSONAL_DATA_EXPORT_HOOKS): their checklist ticks and the
reminders sent about the end of their missions."""

from incubateur.community.models import ChecklistTick, Reminder


def export(user) -> dict:
    ticks = ChecklistTick.objects.filter(member__user=user).select_related("done_by").order_by("done_at", "pk")
    reminders = Reminder.objects.filter(member__user=user).order_by("sent_at", "pk")
    return {
        "parcours": [
            {
                "parcours": tick.get_checklist_display(),
                "etape": tick.item,
                "faite_le": tick.done_at.isoformat(),
                "cochee_par": tick.done_by.display_name if tick.done_by else None,
            }
            for tick in ticks
        ],
        "rappels_de_fin_de_mission": [
            {
                "etape": reminder.get_kind_display(),
                "fin": reminder.end.isoformat(),
                "envoye_le": reminder.sent_at.isoformat(),
            }
            for reminder in reminders
        ],
    }
