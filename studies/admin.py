from django import forms
from django.contrib import admin

from studies import exports, models, saved_views, tags
from studies.security import ThrottledAdminAuthenticationForm

# The admin's own login page is throttled like the site's.
admin.site.login_form = ThrottledAdminAuthenticationForm


class MembershipInline(admin.TabularInline):
    model = models.Membership
    extra = 1


@admin.register(models.Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "created"]
    search_fields = ["name"]
    inlines = [MembershipInline]


class ParameterInline(admin.TabularInline):
    model = models.ParameterRecord
    extra = 0


@admin.register(models.SpaceRecord)
class SpaceRecordAdmin(admin.ModelAdmin):
    inlines = [ParameterInline]


@admin.action(description="Export the selected studies (JSON files in one zip)")
def export_studies(modeladmin, request, queryset):
    return exports.zip_response(request.user, queryset.select_related("project", "owner", "space"))


@admin.register(models.Study)
class StudyAdmin(admin.ModelAdmin):
    actions = [export_studies]
    list_display = ["name", "project", "owner", "state", "optimizer", "job", "max_trials", "updated"]
    list_filter = ["state", "optimizer", "project"]
    search_fields = ["name", "description"]
    raw_id_fields = ["space"]


class AttemptInline(admin.TabularInline):
    model = models.Attempt
    extra = 0
    readonly_fields = ["number", "state", "worker", "host", "pid", "claimed", "heartbeat", "ended", "reason"]


@admin.register(models.Trial)
class TrialAdmin(admin.ModelAdmin):
    list_display = ["study", "number", "state", "value", "worker", "started", "finished"]
    list_filter = ["state"]
    search_fields = ["study__name"]
    raw_id_fields = ["study", "attempt"]
    inlines = [AttemptInline]

    # A trial edited or deleted here bypasses the services that keep its study's summary: recount it.
    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        models.StudySummary.recount(obj.study)

    def delete_model(self, request, obj) -> None:
        super().delete_model(request, obj)
        models.StudySummary.recount(obj.study)

    def delete_queryset(self, request, queryset) -> None:
        studies = list(models.Study.objects.filter(trials__in=queryset).distinct())
        super().delete_queryset(request, queryset)
        for study in studies:
            models.StudySummary.recount(study)


@admin.register(models.Attempt)
class AttemptAdmin(admin.ModelAdmin):
    list_display = ["trial", "number", "state", "worker", "heartbeat", "ended", "reason"]
    list_filter = ["state"]
    raw_id_fields = ["trial"]


@admin.register(models.TrialMetric)
class TrialMetricAdmin(admin.ModelAdmin):
    list_display = ["trial", "attempt", "step", "value"]
    raw_id_fields = ["trial", "attempt"]


@admin.register(models.WorkerStatus)
class WorkerStatusAdmin(admin.ModelAdmin):
    list_display = ["name", "host", "queues", "last_seen", "current_trial"]


@admin.register(models.StudyAnalysis)
class StudyAnalysisAdmin(admin.ModelAdmin):
    list_display = ["study", "kind", "n_trials", "computed"]


@admin.register(models.CommandJob)
class CommandJobAdmin(admin.ModelAdmin):
    list_display = ["name", "description", "time_limit_s", "created_by"]
    readonly_fields = ["created_by"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(models.ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["user", "name", "prefix", "created", "expires", "last_used", "revoked"]
    readonly_fields = ["prefix", "key_hash", "last_used"]


@admin.register(models.AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["when", "user", "action", "study", "detail"]
    list_filter = ["action"]

    def has_change_permission(self, request, obj=None):
        return False


class SavedViewAdminForm(forms.ModelForm):
    """The same checks as "Save this view": a page of this site, a leaderboard of the project's study."""

    class Meta:
        model = models.SavedView
        fields = ["project", "name", "address"]

    def clean(self) -> dict:
        data = super().clean()
        if data.get("project") and data.get("address"):
            try:
                data["address"] = saved_views.checked_address(data["address"], data["project"])
            except forms.ValidationError as error:
                self.add_error("address", error)
        return data


@admin.register(models.SavedView)
class SavedViewAdmin(admin.ModelAdmin):
    form = SavedViewAdminForm
    list_display = ["name", "project", "address", "created_by", "created"]
    list_filter = ["project"]
    search_fields = ["name", "address"]


class StudyTagAdminForm(forms.ModelForm):
    class Meta:
        model = models.StudyTag
        fields = ["study", "name"]

    def clean_name(self) -> str:
        names = tags.check_tags([self.cleaned_data["name"]])
        if not names:
            raise forms.ValidationError("Give a tag.")
        return names[0]


@admin.register(models.StudyTag)
class StudyTagAdmin(admin.ModelAdmin):
    form = StudyTagAdminForm
    list_display = ["name", "study"]
    search_fields = ["name", "study__name"]
    raw_id_fields = ["study"]
