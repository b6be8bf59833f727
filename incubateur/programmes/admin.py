"""Programmes in Django's admin: for looking and mending. Calls, applications and reviews change
through their pages (freezing, decisions within the envelope, journal, notifications), so their workflow fields
are read-only here."""

from django.contrib import admin

from incubateur.programmes.models import (
    Application,
    Call,
    EligibilityCriterion,
    Programme,
    Question,
    Review,
    SelectionCriterion,
)


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "order"]
    prepopulated_fields = {"slug": ["name"]}


class QuestionInline(admin.TabularInline):
    model = Question
    extra = 0


class EligibilityInline(admin.TabularInline):
    model = EligibilityCriterion
    extra = 0


class SelectionInline(admin.TabularInline):
    model = SelectionCriterion
    extra = 0


@admin.register(Call)
class CallAdmin(admin.ModelAdmin):
    list_display = ["title", "programme", "number", "opens_at", "closes_at", "historical", "results_published_at"]
    list_filter = ["programme", "historical"]
    search_fields = ["title"]
    list_select_related = ["programme"]
    readonly_fields = ["results_published_at", "created_by", "created_at"]
    inlines = [QuestionInline, EligibilityInline, SelectionInline]


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["label", "call", "key", "type", "required"]
    list_select_related = ["call"]


@admin.register(EligibilityCriterion)
class EligibilityCriterionAdmin(admin.ModelAdmin):
    list_display = ["label", "call", "verification"]
    list_select_related = ["call"]


@admin.register(SelectionCriterion)
class SelectionCriterionAdmin(admin.ModelAdmin):
    list_display = ["label", "call", "weight"]
    list_select_related = ["call"]


class ReviewInline(admin.TabularInline):
    model = Review
    extra = 0
    can_delete = False
    readonly_fields = ["reviewer", "scores", "comment", "submitted_at", "withdrawn"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    list_display = ["number", "call", "product", "applicant_name", "status", "amount_granted", "submitted_at"]
    list_filter = ["status", "call__programme"]
    search_fields = ["product__name", "applicant_name", "applicant__email"]
    list_select_related = ["call", "product"]
    readonly_fields = [
        "call",
        "product",
        "applicant",
        "status",
        "eligibility",
        "amount_granted",
        "decision_reasons",
        "decided_by",
        "decided_at",
        "submitted_at",
        "created_at",
        "version",
    ]
    inlines = [ReviewInline]

    def has_add_permission(self, request):
        return False

    @admin.display(description="n°", ordering="pk")
    def number(self, obj):
        return obj.pk


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ["application", "reviewer", "submitted_at", "withdrawn"]
    list_select_related = ["application__product", "reviewer"]
    readonly_fields = ["application", "reviewer", "scores", "submitted_at"]
