from allauth.mfa.models import Authenticator
from django.contrib import admin
from django.http import HttpRequest

# allauth's own admin shows an authenticator's data (the TOTP secret, the recovery-code seed) in an editable field.
# Staff may see that a user has an authenticator and remove it (a lost phone), never read or change its secret.
admin.site.unregister(Authenticator)


@admin.register(Authenticator)
class AuthenticatorAdmin(admin.ModelAdmin):
    raw_id_fields = ("user",)
    list_display = ("user", "type", "created_at", "last_used_at")
    list_filter = ("type", "created_at", "last_used_at")
    fields = readonly_fields = ("user", "type", "created_at", "last_used_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Authenticator | None = None) -> bool:
        return False
