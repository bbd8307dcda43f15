from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import ExampleNarrative, Family, Objective, Requirement


class ObjectiveInline(admin.TabularInline):
    model = Objective
    fields = ["objective_id", "text"]
    readonly_fields = ["objective_id"]
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class Level1Filter(admin.SimpleListFilter):
    title = "CMMC Level 1"
    parameter_name = "level1"

    def lookups(self, request, model_admin):
        return [("yes", "Level 1 practice"), ("no", "Level 2 only")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(level1_id="")
        if self.value() == "no":
            return queryset.filter(level1_id="")
        return queryset


@admin.register(Requirement)
class RequirementAdmin(SimpleHistoryAdmin):
    list_display = ["nist_id", "cmmc_title", "family", "points", "level1_id", "poam_eligibility"]
    list_filter = ["family", "points", Level1Filter, "poam_eligibility", "requirement_type"]
    search_fields = ["nist_id", "cmmc_id", "cmmc_title", "text", "objectives__text"]
    list_select_related = ["family"]
    ordering = ["position"]
    inlines = [ObjectiveInline]
    history_list_display = ["text"]
    # Staff edit wording; the scoring facts come only from the checked fixture via load_catalog.
    readonly_fields = [
        "nist_id", "cmmc_id", "family", "position", "requirement_type", "points", "partial_points",
        "poam_eligibility", "level1_id", "level1_legacy_id", "far_reference",
    ]
    fields = [
        "nist_id", "cmmc_id", "family", "cmmc_title", "text", "requirement_type", "points", "partial_points",
        "partial_condition", "not_met_condition", "poam_eligibility", "poam_rule", "methodology_comment",
        "level1_id", "level1_legacy_id", "far_reference", "position",
    ]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Objective)
class ObjectiveAdmin(SimpleHistoryAdmin):
    list_display = ["objective_id", "text"]
    search_fields = ["objective_id", "text"]
    list_filter = ["requirement__family"]
    readonly_fields = ["objective_id", "requirement", "position"]
    history_list_display = ["text"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ExampleNarrative)
class ExampleNarrativeAdmin(SimpleHistoryAdmin):
    list_display = ["requirement", "variant", "text"]
    list_filter = ["variant", "requirement__family"]
    search_fields = ["requirement__nist_id", "requirement__cmmc_title", "text"]
    list_select_related = ["requirement"]
    ordering = ["requirement__position", "variant"]
    history_list_display = ["text"]
    # Staff edit the wording; which requirement and environment a narrative is for come from the fixture.
    readonly_fields = ["requirement", "variant"]
    fields = ["requirement", "variant", "text"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Family)
class FamilyAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "position"]
    readonly_fields = ["code", "position"]
