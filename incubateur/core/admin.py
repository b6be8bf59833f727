from django.contrib import admin, messages

from incubateur.core import services
from incubateur.core.models import JournalEntry, Notification, WorkerHeartbeat


@admin.register(JournalEntry)
class JournalEntryAdmin(admin.ModelAdmin):
    list_display = ["at", "actor", "action", "visibility", "object_repr"]
    list_filter = ["visibility", "action"]
    search_fields = ["message", "object_repr", "actor__email"]
    date_hierarchy = "at"
    list_select_related = ["actor"]

    def get_queryset(self, request):
        # The same scoping as /equipe/journal/: confidential rows are read only through their object.
        return super().get_queryset(request).for_user(request.user)

    # The journal is evidence: nobody edits or deletes it, not even administrators.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "channel", "recipient", "status", "attempts", "next_attempt_at"]
    list_filter = ["status", "channel", "kind"]
    search_fields = ["recipient", "subject"]
    readonly_fields = [f.name for f in Notification._meta.fields]
    actions = ["retry"]

    def get_queryset(self, request):
        # Who is written to about a confidential request is itself confidential: those rows are retried from
        # /equipe/notifications/, where they are masked.
        return super().get_queryset(request).filter(confidential=False)

    def has_add_permission(self, request):
        return False

    @admin.action(description="Renvoyer maintenant")
    def retry(self, request, queryset):
        for notification in queryset:
            services.notification_retry(notification=notification, by=request.user)
        messages.success(request, f"{queryset.count()} notification(s) remise(s) en file d'envoi.")


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["worker_id", "beat_at"]
    readonly_fields = ["worker_id", "beat_at"]
