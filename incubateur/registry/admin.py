from django.contrib import admin

from incubateur.registry.models import (
    ContentBase,
    Event,
    Incubator,
    Member,
    Mission,
    MissionProduct,
    Organisation,
    Phase,
    Product,
    ProductIncubator,
    ProductSponsor,
    Review,
    Team,
)


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "ghid", "acronym", "domaine_ministeriel", "type"]
    list_filter = ["domaine_ministeriel", "type"]
    search_fields = ["name", "ghid", "acronym"]


@admin.register(Incubator)
class IncubatorAdmin(admin.ModelAdmin):
    list_display = ["title", "ghid", "owner"]
    search_fields = ["title", "ghid"]
    list_select_related = ["owner"]
    autocomplete_fields = ["owner"]


class PhaseInline(admin.TabularInline):
    model = Phase
    extra = 0


class EventInline(admin.TabularInline):
    model = Event
    extra = 0


class ProductSponsorInline(admin.TabularInline):
    model = ProductSponsor
    extra = 0
    autocomplete_fields = ["organisation"]


class ProductIncubatorInline(admin.TabularInline):
    model = ProductIncubator
    extra = 0
    autocomplete_fields = ["incubator"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "ghid", "contact_dinum"]
    search_fields = ["name", "ghid", "pitch"]
    inlines = [ProductIncubatorInline, ProductSponsorInline, PhaseInline, EventInline]


class MissionInline(admin.TabularInline):
    model = Mission
    extra = 0
    fields = ["start", "end", "status", "employer", "order"]


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ["fullname", "username", "domaine", "member_type"]
    list_filter = ["domaine", "member_type"]
    search_fields = ["fullname", "username"]
    autocomplete_fields = ["user"]
    filter_horizontal = ["teams"]
    inlines = [MissionInline]


class MissionProductInline(admin.TabularInline):
    model = MissionProduct
    extra = 0
    autocomplete_fields = ["product"]


@admin.register(Mission)
class MissionAdmin(admin.ModelAdmin):
    list_display = ["member", "start", "end", "status", "employer"]
    list_filter = ["status"]
    search_fields = ["member__fullname", "member__username", "employer"]
    list_select_related = ["member"]
    autocomplete_fields = ["member"]
    inlines = [MissionProductInline]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "ghid", "incubator"]
    search_fields = ["name", "ghid"]
    list_select_related = ["incubator"]
    autocomplete_fields = ["incubator"]


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ["__str__", "requested_by", "requested_at", "decision", "decided_by", "decided_at"]
    list_filter = ["decision"]
    search_fields = ["member__fullname", "member__username", "product__name", "product__ghid"]
    list_select_related = ["member", "product", "requested_by", "decided_by"]
    raw_id_fields = ["member", "product", "requested_by", "decided_by"]


@admin.register(ContentBase)
class ContentBaseAdmin(admin.ModelAdmin):
    list_display = ["path", "digest", "read_at"]
    search_fields = ["path"]
    readonly_fields = ["path", "digest", "fields", "read_at"]
