from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserChangeForm as BaseUserChangeForm
from django.core.exceptions import ValidationError

from incubateur.accounts import services
from incubateur.accounts.api_auth import api_tokens_revoke
from incubateur.accounts.models import ApiToken, LoginToken, User
from incubateur.core.text import plural, quantity


class UserCreationForm(forms.ModelForm):
    """People log in by e-mail link: an account needs no password."""

    class Meta:
        model = User
        fields = ["email", "username", "first_name", "last_name"]

    def save(self, commit=True):
        user = super().save(commit=False)
        user.set_unusable_password()
        if commit:
            user.save()
        return user


class BoundedIdsField(forms.ModelMultipleChoiceField):
    """Ids beyond 64 bits are invalid choices, not a crash: SQLite raises OverflowError on them in `pk__in` (Django
    guards exact lookups only)."""

    def _check_values(self, value):
        for pk in value if isinstance(value, list | tuple) else ():
            try:
                number = int(pk)
            except (TypeError, ValueError):
                continue  # Django's own check answers "invalid_pk_value"
            if not -(2**63) <= number < 2**63:
                raise ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": pk}
                )
        return super()._check_values(value)


class UserChangeForm(BaseUserChangeForm):
    class Meta:
        model = User
        fields = "__all__"
        field_classes = {"groups": BoundedIdsField, "user_permissions": BoundedIdsField}


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    ordering = ["email"]
    list_display = ["email", "username", "first_name", "last_name", "is_incubator_staff", "is_staff", "is_active"]
    list_filter = ["is_incubator_staff", "is_staff", "is_superuser", "is_active"]
    search_fields = ["email", "username", "first_name", "last_name"]
    fieldsets = [
        (None, {"fields": ["email", "username"]}),
        ("Identité", {"fields": ["first_name", "last_name"]}),
        ("Rôles", {"fields": ["is_active", "is_incubator_staff", "is_staff", "is_superuser", "groups"]}),
        ("Dates", {"fields": ["last_login", "date_joined", "email_changed_at"]}),
        ("ProConnect", {"fields": ["proconnect_sub"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "username", "first_name", "last_name"]})]
    filter_horizontal = ["groups"]
    readonly_fields = ["last_login", "date_joined", "email_changed_at", "proconnect_sub"]

    def save_model(self, request, obj, form, change):
        """A new address goes through `services.change_email` (journaled, both addresses told, sessions ended,
        API tokens revoked); the other fields are saved as usual, in the same transaction (the admin's view)."""
        if not change or "email" not in form.changed_data:
            return super().save_model(request, obj, form, change)
        new_email, obj.email = obj.email, form.initial["email"]
        super().save_model(request, obj, form, change)
        services.change_email(user=obj, new_email=new_email, by=request.user)

    def get_urls(self):
        """No password page: people log in by e-mail link, and accounts have no usable password."""
        return [url for url in super().get_urls() if not str(url.pattern).endswith("password/")]


@admin.register(LoginToken)
class LoginTokenAdmin(admin.ModelAdmin):
    list_display = ["user", "created_at", "expires_at", "used_at", "requested_from"]
    list_select_related = ["user"]
    search_fields = ["user__email"]
    readonly_fields = ["user", "token_hash", "created_at", "expires_at", "used_at", "requested_from"]

    def has_add_permission(self, request):
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are issued with `manage.py issue_api_token` (the secret is shown once); here they are only revoked."""

    list_display = ["name", "user", "created_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    list_select_related = ["user"]
    search_fields = ["name", "user__email"]
    readonly_fields = ["user", "name", "token_hash", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Révoquer les jetons sélectionnés", permissions=["change"])
    def revoke(self, request, queryset):
        count = api_tokens_revoke(tokens=queryset, by=request.user)
        self.message_user(request, f"{quantity(count, 'jeton')} {plural(count, 'révoqué')}.", messages.SUCCESS)
