from django.contrib import admin

from incubateur.transparency.models import Snapshot


@admin.register(Snapshot)
class SnapshotAdmin(admin.ModelAdmin):
    list_display = ["key", "computed_at"]
    search_fields = ["key"]
    readonly_fields = ["key", "computed_at", "payload"]
