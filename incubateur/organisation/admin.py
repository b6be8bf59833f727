from django.contrib import admin

from incubateur.organisation import services
from incubateur.organisation.models import (
    Commitment,
    ContactChannel,
    Department,
    Pole,
    Portfolio,
    Position,
    Reason,
)


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "contact_email", "mattermost_channel"]


class PositionInline(admin.TabularInline):
    model = Position
    extra = 0
    fields = ["person", "title", "is_lead", "portfolio", "order", "start_date", "end_date"]
    autocomplete_fields = ["person"]


@admin.register(Pole)
class PoleAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "order"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [PositionInline]


@admin.register(Position)
class PositionAdmin(admin.ModelAdmin):
    list_display = ["person", "title", "pole", "is_lead", "start_date", "end_date"]
    list_filter = ["pole", "is_lead"]
    search_fields = ["person__first_name", "person__last_name", "person__username", "title"]
    list_select_related = ["person", "pole"]
    autocomplete_fields = ["person"]


@admin.register(Portfolio)
class PortfolioAdmin(admin.ModelAdmin):
    list_display = ["label", "manager", "ministries", "themes", "order"]
    list_select_related = ["manager"]
    autocomplete_fields = ["manager"]

    def save_model(self, request, obj, form, change):
        # The manager moves through the service: their position and the public journal follow.
        if change and "manager" in form.changed_data:
            new_manager = obj.manager
            obj.manager = Portfolio.objects.get(pk=obj.pk).manager
            super().save_model(request, obj, form, change)
            services.portfolio_set_manager(portfolio=obj, manager=new_manager, by=request.user)
        else:
            super().save_model(request, obj, form, change)


@admin.register(ContactChannel)
class ContactChannelAdmin(admin.ModelAdmin):
    list_display = ["label", "kind", "value", "pole", "order"]


@admin.register(Reason)
class ReasonAdmin(admin.ModelAdmin):
    list_display = ["title", "code", "order"]


@admin.register(Commitment)
class CommitmentAdmin(admin.ModelAdmin):
    list_display = ["title", "order"]
