from django.contrib import admin, messages
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult

from incubateur.core import services
from incubateur.core.models import JournalEntry, Notification, WorkerHeartbeat
from incubateur.core.text import plural, quantity

SENSITIVE_BODY = "[contenu sensible : il n'est pas montré]"


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
    # The body is shown through `content`: a secret-bearing row (a login link) shows none of it. Login links are
    # stored masked anyway (the worker writes them in at send time); this also covers rows written before that.
    exclude = ["body"]
    readonly_fields = [f.name if f.name != "body" else "content" for f in Notification._meta.fields]
    actions = ["retry"]

    @admin.display(description="contenu")
    def content(self, obj):
        return SENSITIVE_BODY if obj.sensitive else obj.body

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
        count = queryset.count()
        messages.success(request, f"{quantity(count, 'notification')} {plural(count, 'remise')} en file d'envoi.")


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["worker_id", "beat_at"]
    readonly_fields = ["worker_id", "beat_at"]


# --- The task queue (django-tasks-db), in French ---------------------------------------------------------------------
# The package's labels are translated by this app's catalogue (locale/fr/LC_MESSAGES/django.po); what its admin
# writes in plain English (the id column, the task's name, two computed fields) is said again here. Importing its
# admin first registers it, so that it can be replaced; Django's autodiscovery then finds the module already loaded.


admin.site.unregister(DBTaskResult)


@admin.register(DBTaskResult)
class TaskResultAdmin(DBTaskResultAdmin):
    list_display = (
        "identifier",
        "task",
        "status",
        "enqueued_at",
        "started_at",
        "finished_at",
        "priority",
        "queue_name",
    )

    def get_readonly_fields(self, request, obj=None):
        return ["identifier" if name == "id" else name for name in super().get_readonly_fields(request, obj)]

    @admin.display(description="identifiant", ordering="id")
    def identifier(self, obj):
        return obj.id

    @admin.display(description="tâche")
    def task(self, obj):
        return obj.task_name

    @admin.display(description="trace de l’erreur")
    def formatted_traceback(self, obj):
        return super().formatted_traceback(obj)

    @admin.display(description="à lancer après le")
    def display_run_after(self, obj):
        return super().display_run_after(obj)
