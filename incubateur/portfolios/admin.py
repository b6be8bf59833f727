"""Committees and digests in Django's admin: for looking and mending. A committee is recorded through its page
(the product's phase and history change with it, and the journal), so who recorded it is read-only here."""

from django.contrib import admin

from incubateur.portfolios.models import Committee, DigestSent


@admin.register(Committee)
class CommitteeAdmin(admin.ModelAdmin):
    list_display = ["product", "date", "decision", "budget_granted", "next_due"]
    list_filter = ["decision"]
    search_fields = ["product__name"]
    list_select_related = ["product"]
    date_hierarchy = "date"
    readonly_fields = ["recorded_by", "created_at"]


@admin.register(DigestSent)
class DigestSentAdmin(admin.ModelAdmin):
    list_display = ["user", "week", "items", "sent_at"]
    readonly_fields = ["user", "week", "items", "sent_at"]

    def has_add_permission(self, request):
        return False
