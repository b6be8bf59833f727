from django.contrib import admin

from incubateur.recruitment.models import JobPost


@admin.register(JobPost)
class JobPostAdmin(admin.ModelAdmin):
    list_display = ("title", "kind", "product", "pole", "status", "community_from", "public_from", "unpublish_on")
    list_filter = ("kind", "status", "junior")
    search_fields = ("title", "product__name", "contracting_body")
    autocomplete_fields = ("product",)
    raw_id_fields = ("author",)
    date_hierarchy = "community_from"
    readonly_fields = (
        "created_at",
        "updated_at",
        "announced_at",
        "published_at",
        "reminded_at",
        "prolonged_at",
        "closed_at",
    )
