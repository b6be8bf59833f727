"""Received mails in Django's admin (metadata only, read-only): loaded by `incubateur/guichet/admin.py`
(`from incubateur.guichet.mail import admin as mail_admin  # noqa: F401`). Scoped like the triage pages
(`InboundMail.objects.for_user`): a mail about a confidential request is not listed to anyone else; its text is read
on the triage page, never here."""

from django.contrib import admin

from incubateur.guichet.models import InboundMail


@admin.register(InboundMail)
class InboundMailAdmin(admin.ModelAdmin):
    list_display = ["received_at", "sender", "verified", "outcome", "reason", "ticket"]
    list_filter = ["outcome", "verified"]
    search_fields = ["sender", "rfc_message_id"]
    list_select_related = ["ticket"]
    date_hierarchy = "received_at"
    exclude = ["raw", "subject"]
    readonly_fields = [f.name for f in InboundMail._meta.fields if f.name not in ("raw", "subject")]

    def get_queryset(self, request):
        return InboundMail.objects.for_user(request.user).select_related("ticket").defer("raw")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
