from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "email", "department", "subject_code", "is_staff", "is_active")
    list_filter = ("is_staff", "is_superuser", "is_active", "department", "groups")
    list_select_related = ("department",)
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("Platform role"), {"fields": ("department", "subject_code")}),
    )
