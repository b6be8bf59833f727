"""The guichet in Django's admin. Confidential requests are outside it: the admin starts from the same
`for_user()` scoping as every page, so an administrator sees a confidential request only if they are its
requester or a participant — and then only its metadata here (read it on its page, where reads are logged)."""

from django.contrib import admin
from django.utils.html import format_html

from incubateur.guichet.mail import admin as mail_admin  # noqa: F401 (registers InboundMail)
from incubateur.guichet.models import Attachment, Message, Offer, Participant, Read, RoutingRule, Ticket


class NumberColumn:
    """The « n° » column: the row's number (its primary key), sortable."""

    @admin.display(description="n°", ordering="pk")
    def number(self, obj):
        return obj.pk


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ["kind", "topic", "portfolio", "target", "pole", "person", "copy_portfolio_manager"]
    list_filter = ["kind", "target"]
    list_select_related = ["portfolio", "pole", "person", "fallback_pole"]
    autocomplete_fields = ["person"]


class MessageInline(admin.TabularInline):
    model = Message
    extra = 0
    fields = ["created_at", "author", "internal", "body"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class ConfidentialScoped:
    """Requests (and what hangs on them) as `Ticket.objects.for_user(request.user)` lets the user see them."""

    ticket_path = "ticket"

    def get_queryset(self, request):
        visible = Ticket.objects.for_user(request.user).values("pk")
        return super().get_queryset(request).filter(**{f"{self.ticket_path}__in": visible})


@admin.register(Ticket)
class TicketAdmin(ConfidentialScoped, admin.ModelAdmin):
    ticket_path = "pk"
    # Named by its reference, as everywhere (its sequential id would tell where confidential requests sit).
    list_display = ["reference", "created_at", "kind", "status", "requester", "assignee", "confidential"]
    list_filter = ["kind", "status", "confidential", "channel"]
    search_fields = ["reference", "subject", "requester__email", "assignee__email"]
    list_select_related = ["requester", "assignee"]
    date_hierarchy = "created_at"
    inlines = [MessageInline]

    def get_readonly_fields(self, request, obj=None):
        # Status and assignment change through the request's page (journal, notifications, version check).
        return [f.name for f in Ticket._meta.fields] + ["copied"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Participant)
class ParticipantAdmin(ConfidentialScoped, admin.ModelAdmin):
    list_display = ["ticket", "user", "added_by", "added_at"]
    list_select_related = ["ticket", "user", "added_by"]
    readonly_fields = ["ticket", "user", "added_by", "added_at"]

    def has_add_permission(self, request):
        return False


@admin.register(Read)
class ReadAdmin(ConfidentialScoped, admin.ModelAdmin):
    list_display = ["ticket", "user", "at"]
    list_select_related = ["ticket", "user"]
    readonly_fields = ["ticket", "user", "at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Message)
class MessageAdmin(NumberColumn, ConfidentialScoped, admin.ModelAdmin):
    list_display = ["number", "ticket", "author", "internal", "created_at"]
    list_filter = ["internal"]
    list_select_related = ["ticket", "author"]
    readonly_fields = ["ticket", "author", "body", "internal", "created_at"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Offer)
class OfferAdmin(NumberColumn, admin.ModelAdmin):
    list_display = ["number", "created_at", "product", "topic", "offered_by", "status", "decided_by"]
    list_filter = ["status"]
    search_fields = ["topic", "product__name"]
    list_select_related = ["product", "offered_by", "decided_by"]
    readonly_fields = ["product", "offered_by", "status", "decided_by", "decided_at", "decline_reason", "ticket"]

    def has_add_permission(self, request):
        # An offer is made from /guichet/equipe/offres/nouvelle/ (journal, notification of the team).
        return False


@admin.register(Attachment)
class AttachmentAdmin(NumberColumn, admin.ModelAdmin):
    """Attachments as `Attachment.objects.for_user` scopes them (as the download view does); the file is reached
    only through that view, never by its storage path."""

    list_display = ["number", "ticket", "name", "content_type", "size", "source", "uploaded_by", "created_at"]
    list_filter = ["source", "content_type"]
    list_select_related = ["ticket", "uploaded_by"]
    fields = [
        "ticket",
        "message",
        "download",
        "name",
        "content_type",
        "size",
        "sha256",
        "source",
        "uploaded_by",
        "created_at",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).filter(pk__in=Attachment.objects.for_user(request.user).values("pk"))

    @admin.display(description="fichier")
    def download(self, obj):
        return format_html('<a href="{}">Télécharger</a>', obj.get_absolute_url())

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
