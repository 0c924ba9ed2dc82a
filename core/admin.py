from django.conf import settings
from django.contrib import admin, messages
from django.utils import timezone

from core import services
from core.admin_writes import ServiceWritesAdmin
from core.models import ApiToken, Heartbeat

admin.site.site_header = f"{settings.SITE_NAME} incident response"
admin.site.site_title = settings.SITE_NAME
admin.site.index_title = "Operations"
admin.site.site_url = None  # the admin is the site: no "View site" link back to it


@admin.register(ApiToken)
class ApiTokenAdmin(ServiceWritesAdmin):
    list_display = ("name", "user", "prefix", "created_at", "expires_at", "last_used_at", "status")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter), "created_at")
    search_fields = ("name", "prefix", "user__username", "user__email")
    list_select_related = ("user",)
    autocomplete_fields = ("user",)
    readonly_fields = ("prefix", "created_at", "last_used_at", "revoked_at")
    actions = ("revoke_selected",)

    def get_readonly_fields(self, request, obj=None):
        # The owner of an existing token cannot be changed: it would hand over the secret.
        return (*self.readonly_fields, "user") if obj else self.readonly_fields

    @admin.display(description="status")
    def status(self, token):
        if token.revoked_at:
            return "revoked"
        if not token.is_active(timezone.now()):
            return "expired"
        return "active"

    def create(self, request, data, parent=None):
        issued = services.api_token_create(**data)
        messages.warning(
            request,
            f"Token for {issued.token.user}: {issued.secret} — copy it now, it will not be "
            "shown again.",
        )
        return issued.token

    def update(self, request, instance, data):
        return services.api_token_update(token=instance, **data)

    def has_delete_permission(self, request, obj=None):
        # Tokens are revoked, not deleted, so the record of who held one remains.
        return False

    @admin.action(description="Revoke selected tokens")
    def revoke_selected(self, request, queryset):
        for token in queryset:
            services.api_token_revoke(token=token)
        self.message_user(request, f"Revoked {queryset.count()} token(s).")


@admin.register(Heartbeat)
class HeartbeatAdmin(admin.ModelAdmin):
    list_display = ("name", "beat_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
