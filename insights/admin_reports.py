"""Reports in the admin: ask for one (the add form), follow it, download it; subscribe
people to one by email on a schedule, and see every email sent or failing."""

import json

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.utils import timezone
from django.utils.html import format_html
from django_celery_beat.models import CrontabSchedule

from core.admin_writes import ReadOnlyAdmin, ServiceWritesAdmin
from insights import selectors, services
from insights.models import Report, ReportDelivery, ReportKind, ReportOrigin, ReportSubscription
from insights.reports.document import Period
from insights.services.subscriptions import CRONTAB_FIELDS, DEFAULT_CRONTAB, subscription_next_run


def _labels(text: str) -> dict:
    """``region=eu, tier=1`` -> ``{"region": "eu", "tier": "1"}``."""
    labels = {}
    for part in filter(None, (piece.strip() for piece in text.split(","))):
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise forms.ValidationError(f"Not name=value: {part}")
        labels[key.strip()] = value.strip()
    return labels


class ReportRequestForm(forms.ModelForm):
    metric = forms.CharField(required=False, help_text="Trend reports: the metric's name.")
    labels = forms.CharField(
        required=False, help_text="Trend reports: the series' labels, e.g. region=eu, tier=1."
    )

    class Meta:
        model = Report
        fields = ["kind", "start", "end"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        end = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
        self.fields["end"].initial = end
        self.fields["start"].initial = end - timezone.timedelta(days=7)
        self.fields["kind"].initial = ReportKind.EXECUTIVE

    def clean(self):
        data = super().clean()
        params = {}
        if data.get("kind") == ReportKind.TREND:
            params = {
                "metric": data.get("metric", "").strip(),
                "labels": _labels(data.get("labels", "")),
            }
        self.instance.params = params
        data["params"] = params
        return data

    def _update_errors(self, errors):
        # The model's rules speak of ``params``; here its parts are the metric and labels.
        if hasattr(errors, "error_dict") and "params" in errors.error_dict:
            errors.error_dict["metric"] = errors.error_dict.pop("params")
        super()._update_errors(errors)


@admin.register(Report)
class ReportAdmin(ServiceWritesAdmin):
    """Reports: "Add report" asks for one, a worker generates it; download it here."""

    list_display = (
        "__str__",
        "kind",
        "period",
        "status",
        "origin",
        "requested_by",
        "created_at",
        "download",
    )
    list_filter = ("kind", "status", "origin")
    list_select_related = ("requested_by",)
    date_hierarchy = "created_at"
    readonly_fields = (
        "title",
        "kind",
        "status",
        "error",
        "period",
        "params",
        "documents",
        "key_figures",
        "origin",
        "requested_by",
        "subscription",
        "created_at",
        "started_at",
        "finished_at",
    )

    def get_queryset(self, request):
        return selectors.report_list()

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ReportRequestForm
            kwargs["fields"] = ["kind", "start", "end", "metric", "labels"]
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["kind", "start", "end", "metric", "labels"]
        return self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def has_change_permission(self, request, obj=None):
        return False  # a report is generated, never edited

    @admin.display(description="period")
    def period(self, report):
        return Period(report.start, report.end).label

    @admin.display(description="download")
    def download(self, report):
        if report.status != "done":
            return report.get_status_display()
        base = f"/api/insights/reports/{report.pk}"
        return format_html('<a href="{}/pdf">PDF</a> · <a href="{}/html">HTML</a>', base, base)

    @admin.display(description="documents")
    def documents(self, report):
        return self.download(report)

    @admin.display(description="key figures")
    def key_figures(self, report):
        return format_html(
            "<pre style='white-space:pre-wrap'>{}</pre>",
            json.dumps(report.figures, indent=2, default=str),
        )

    def create(self, request, data, parent=None):
        report = services.report_request(
            kind=data["kind"],
            start=data["start"],
            end=data["end"],
            params=data.get("params") or {},
            requested_by=request.user,
            origin=ReportOrigin.ADMIN,
        )
        self.message_user(
            request,
            "The report is being generated; this page shows it when it is done.",
            messages.INFO,
        )
        return report

    def delete(self, request, instance):
        services.report_delete(report=instance)


class SubscriptionForm(forms.ModelForm):
    minute = forms.CharField(initial=DEFAULT_CRONTAB["minute"], help_text="Crontab minute.")
    hour = forms.CharField(initial=DEFAULT_CRONTAB["hour"], help_text="Crontab hour.")
    day_of_week = forms.CharField(
        initial=DEFAULT_CRONTAB["day_of_week"], help_text="0-6, Sunday is 0; * for every day."
    )
    day_of_month = forms.CharField(initial="*", help_text="1-31, or * for every day.")
    month_of_year = forms.CharField(initial="*", help_text="1-12, or *.")
    time_zone = forms.CharField(
        initial=settings.TIME_ZONE, help_text="IANA name, e.g. Europe/London."
    )

    class Meta:
        model = ReportSubscription
        fields = ["name", "kind", "period", "params", "recipients", "enabled"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        task = self.instance.periodic_task if self.instance.pk else None
        if task is not None and task.crontab is not None:
            for name in CRONTAB_FIELDS:
                self.fields[name].initial = getattr(task.crontab, name)
            self.fields["time_zone"].initial = str(task.crontab.timezone)

    def clean(self):
        data = super().clean()
        crontab = {name: data.get(name, "*") for name in CRONTAB_FIELDS}
        crontab["timezone"] = data.get("time_zone")
        try:
            CrontabSchedule(**crontab).full_clean(exclude=["id"])
            CrontabSchedule(**crontab).schedule  # noqa: B018  (parses the fields)
        except Exception as error:  # celery's parser raises its own error types
            raise forms.ValidationError(f"Not a valid schedule: {error}") from None
        data["crontab"] = crontab
        return data


class DeliveryInline(admin.TabularInline):
    model = ReportDelivery
    fields = ("report", "status", "recipients", "attempts", "last_error", "sent_at", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    max_num = 0
    ordering = ["-created_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("report")

    # A record of what was sent: shown, never written here.
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ReportSubscription)
class ReportSubscriptionAdmin(ServiceWritesAdmin):
    """Reports emailed on a schedule; each keeps a beat entry of its own in step."""

    form = SubscriptionForm
    list_display = ("name", "kind", "period", "schedule", "recipients_shown", "enabled", "next_run")
    list_filter = ("kind", "enabled")
    list_select_related = ("periodic_task__crontab",)
    fieldsets = (
        (None, {"fields": ("name", "kind", "period", "params", "recipients", "enabled")}),
        (
            "Schedule",
            {
                "fields": (
                    "minute",
                    "hour",
                    "day_of_week",
                    "day_of_month",
                    "month_of_year",
                    "time_zone",
                )
            },
        ),
    )
    inlines = [DeliveryInline]

    @admin.display(description="schedule")
    def schedule(self, subscription):
        task = subscription.periodic_task
        return str(task.crontab) if task and task.crontab else "-"

    @admin.display(description="recipients")
    def recipients_shown(self, subscription):
        return ", ".join(subscription.recipient_list()) or "every Manager"

    @admin.display(description="next run")
    def next_run(self, subscription):
        at = subscription_next_run(subscription)
        return timezone.localtime(at).strftime("%Y-%m-%d %H:%M %Z") if at else "-"

    def create(self, request, data, parent=None):
        crontab = data.pop("crontab")
        fields = {name: data[name] for name in self.form.Meta.fields}
        return services.subscription_create(crontab=crontab, **fields)

    def update(self, request, instance, data):
        fields = {name: value for name, value in data.items() if name in self.form.Meta.fields}
        schedule = {name: data[name] for name in (*CRONTAB_FIELDS, "time_zone") if name in data}
        crontab = None
        if schedule:  # the form only passes what changed: the rest is the stored schedule
            stored = instance.periodic_task.crontab if instance.periodic_task else None
            crontab = {name: getattr(stored, name, "*") for name in CRONTAB_FIELDS}
            crontab["timezone"] = str(stored.timezone) if stored else settings.TIME_ZONE
            crontab.update(schedule)
            crontab["timezone"] = crontab.pop("time_zone", crontab["timezone"])
        return services.subscription_update(subscription=instance, crontab=crontab, **fields)

    def delete(self, request, instance):
        services.subscription_delete(subscription=instance)


@admin.register(ReportDelivery)
class ReportDeliveryAdmin(ReadOnlyAdmin):
    """Every scheduled report email: sent, retrying (with the last error) or failed."""

    list_display = (
        "report",
        "subscription",
        "status",
        "attempts",
        "last_error_short",
        "sent_at",
        "created_at",
    )
    list_filter = ("status", "subscription")
    list_select_related = ("report", "subscription")
    readonly_fields = (
        "report",
        "subscription",
        "recipients",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "sent_at",
    )
    actions = ("send_again",)

    @admin.display(description="last error")
    def last_error_short(self, delivery):
        return delivery.last_error[:120]

    def has_send_again_permission(self, request):
        return request.user.has_perm("insights.change_reportdelivery")

    @admin.action(description="Send the failed emails again", permissions=["send_again"])
    def send_again(self, request, queryset):
        sent = sum(services.report_delivery_retry(delivery=delivery) for delivery in queryset)
        self.message_user(request, f"{sent} queued to be sent again.", messages.SUCCESS)
