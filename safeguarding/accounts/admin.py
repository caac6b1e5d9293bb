"""The Django admin, for platform operators only: superusers who signed in with their second factor.

Children, concerns, decisions, referrals and audit events are never registered here. Changes to users and
memberships are saved through the account services, so they are audited and told to the DSL as in Safeguard.
"""

from functools import update_wrapper

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect

from safeguarding.accounts import services
from safeguarding.accounts.middleware import SECOND_FACTOR_MESSAGE, signed_out_response
from safeguarding.accounts.models import ClosureDay, Membership, School, Trust, User
from safeguarding.accounts.roles import Role


class OperatorAdminSite(admin.AdminSite):
    site_header = "Safeguard platform administration"
    site_title = "Safeguard administration"

    def has_permission(self, request):
        user = request.user
        return user.is_active and user.is_superuser and user.is_staff and user.is_verified()

    def admin_view(self, view, cacheable=False):
        """Each admin page answers a signed-in person who is not an operator with a 403 where they asked (which
        the audit middleware records), rather than sending them round the sign-in pages."""
        checked = super().admin_view(view, cacheable)

        def inner(request, *args, **kwargs):
            if request.user.is_authenticated and not self.has_permission(request):
                return self._not_an_operator(request)
            return checked(request, *args, **kwargs)

        return update_wrapper(inner, checked)

    def login(self, request, extra_context=None):
        # One way in: the site's own sign-in, with its second factor.
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not self.has_permission(request):
            return self._not_an_operator(request)
        return redirect("admin:index")

    def _not_an_operator(self, request):
        """An operator who has not given their second factor in this session signs in again with it, and comes
        back here (the session policy does the same on every page); anyone else is refused."""
        user = request.user
        if user.is_active and user.is_superuser and user.is_staff and not user.is_verified():
            return signed_out_response(request, SECOND_FACTOR_MESSAGE, "second factor now needed")
        raise PermissionDenied


class MembershipAdminForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = [
            "user",
            "school",
            "trust",
            "role",
            "is_active",
            "can_export",
            "manages_adult_concerns",
            "dsl_trained_on",
        ]

    def clean(self):
        cleaned = super().clean()
        was_dsl = self.instance.pk and self.instance.is_active and self.instance.role == Role.DSL
        stays_dsl = (
            cleaned.get("is_active")
            and cleaned.get("role") == Role.DSL
            and cleaned.get("school") == self.instance.school
        )
        if was_dsl and not stays_dsl:
            raise forms.ValidationError("A school is never left without a DSL: hand the role over in Safeguard.")
        moved = self.instance.pk and (
            cleaned.get("school") != self.instance.school or cleaned.get("trust") != self.instance.trust
        )
        if moved:
            raise forms.ValidationError("A membership stays with its school or trust: deactivate it and add a new one.")
        return cleaned


class NoDeleteMixin:
    """Memberships are deactivated, never deleted: who held which role, when, is part of the record."""

    def has_delete_permission(self, request, obj=None):
        return False


class MembershipInline(NoDeleteMixin, admin.TabularInline):
    model = Membership
    form = MembershipAdminForm
    extra = 0
    fields = ["school", "trust", "role", "is_active", "can_export", "manages_adult_concerns", "dsl_trained_on"]


class UserAdminForm(UserChangeForm):
    class Meta:
        model = User
        fields = ["email", "full_name", "job_title", "password", "is_active", "is_staff", "is_superuser"]

    def clean_is_active(self):
        is_active = self.cleaned_data["is_active"]
        if self.instance.pk and not is_active and self.instance.memberships.active().filter(role=Role.DSL).exists():
            raise forms.ValidationError("This person is a school's DSL: hand the role over before deactivating them.")
        return is_active


class UserAdmin(BaseUserAdmin):
    form = UserAdminForm
    ordering = ["email"]
    list_display = ["email", "full_name", "is_active", "is_superuser"]
    search_fields = ["email", "full_name"]
    list_filter = ["is_active", "is_superuser"]
    fieldsets = [
        (None, {"fields": ["email", "full_name", "job_title", "password"]}),
        ("Access", {"fields": ["is_active", "is_staff", "is_superuser"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "full_name", "password1", "password2"]})]
    filter_horizontal = []
    inlines = [MembershipInline]

    def save_model(self, request, obj, form, change):
        services.user_save_by_operator(actor=request.user, context=request.audit, user=obj)

    def user_change_password(self, request, id, form_url=""):
        """Django's own page, with the new password recorded in the same transaction and old sessions ended."""
        with transaction.atomic():
            response = super().user_change_password(request, id, form_url)
            if request.method == "POST" and response.status_code == 302:
                person = User.objects.get(pk=id)
                services.user_password_set_by_operator(actor=request.user, context=request.audit, user=person)
        return response

    def save_formset(self, request, form, formset, change):
        for membership in formset.save(commit=False):
            services.membership_save_by_operator(actor=request.user, context=request.audit, membership=membership)
        formset.save_m2m()


class MembershipAdmin(NoDeleteMixin, admin.ModelAdmin):
    form = MembershipAdminForm
    list_display = ["user", "role", "school", "trust", "is_active", "can_export"]
    list_filter = ["role", "is_active", "school", "trust"]
    search_fields = ["user__email", "user__full_name"]
    autocomplete_fields = ["user"]

    def save_model(self, request, obj, form, change):
        services.membership_save_by_operator(actor=request.user, context=request.audit, membership=obj)


class ClosureDayInline(admin.TabularInline):
    model = ClosureDay
    extra = 0


class SchoolAdmin(admin.ModelAdmin):
    list_display = ["name", "urn", "trust", "local_authority"]
    list_filter = ["trust"]
    search_fields = ["name", "urn"]
    inlines = [ClosureDayInline]


site = OperatorAdminSite(name="admin")
site.register(User, UserAdmin)
site.register(Trust)
site.register(School, SchoolAdmin)
site.register(Membership, MembershipAdmin)
