from django.contrib import admin

from incubateur.community.models import ChecklistTick, IncubatorDigest, Reminder


@admin.register(ChecklistTick)
class ChecklistTickAdmin(admin.ModelAdmin):
    list_display = ["member", "checklist", "item", "done_at", "done_by"]
    list_filter = ["checklist"]
    search_fields = ["member__fullname", "member__username", "item"]
    list_select_related = ["member", "done_by"]
    raw_id_fields = ["member", "done_by"]


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    list_display = ["member", "kind", "end", "sent_at"]
    list_filter = ["kind"]
    search_fields = ["member__fullname", "member__username"]
    list_select_related = ["member"]
    raw_id_fields = ["member"]


@admin.register(IncubatorDigest)
class IncubatorDigestAdmin(admin.ModelAdmin):
    list_display = ["incubator", "month", "sent_at"]
    list_select_related = ["incubator"]
