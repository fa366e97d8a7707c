"""Django's own strings that its zh_Hans catalogue leaves untranslated (seen with Django 5.2).

Chinese is the default language and regulators work in the admin, so these must not show in
English. Marking them here makes ``makemessages`` keep them in locale/zh_Hans/LC_MESSAGES/django.po,
and that catalogue wins over Django's because it is in LOCALE_PATHS. This module is never imported:
xgettext only reads the calls below. tests/platform/test_translations.py checks the result; after a
Django upgrade, drop what Django translates itself and add what it newly leaves out.
"""

from django.utils.translation import gettext_noop, ngettext


def _marked_for_translation(n: int) -> None:  # pragma: no cover - never called
    # django/contrib/admin/templates/admin/app_list.html: column headers for screen readers.
    gettext_noop("Model name")
    gettext_noop("Add link")
    gettext_noop("Change or view list link")
    # django/contrib/admin: change_form.html title after a refused form, auth forms and pages.
    gettext_noop("Error:")
    gettext_noop("After you’ve created a user, you’ll be able to edit more user options.")
    gettext_noop("Forgotten your login credentials?")
    gettext_noop("In case you’ve forgotten, you are:")
    # django/contrib/auth/password_validation.py (a platform administrator setting a password).
    ngettext(
        "This password is too short. It must contain at least %d character.",
        "This password is too short. It must contain at least %d characters.",
        n,
    )
    # django/db/models/fields/related.py: a foreign key given a value that is not a choice.
    gettext_noop("%(model)s instance with %(field)s %(value)r is not a valid choice.")
