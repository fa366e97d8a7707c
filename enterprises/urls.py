"""The enterprise portal, mounted at ``/enterprise/``."""

from django.urls import path

from enterprises import views

app_name = "enterprises"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("binding/", views.binding, name="binding"),
    path("binding/<int:pk>/withdraw/", views.binding_withdraw, name="binding_withdraw"),
    path("binding/<int:pk>/letter/", views.binding_letter, name="binding_letter"),
    path("team/", views.team, name="team"),
    path("team/<int:pk>/revoke/", views.team_revoke, name="team_revoke"),
    path("annual-reports/", views.annual_reports, name="annual_reports"),
    path("annual-reports/<int:year>/", views.annual_report, name="annual_report"),
    path("annual-reports/<int:year>/correct/", views.annual_report_correct, name="annual_report_correct"),
    path("annual-reports/<int:year>/discard/", views.annual_report_discard, name="annual_report_discard"),
    path("instant/", views.instant_list, name="instant"),
    path("instant/<int:pk>/", views.instant_edit, name="instant_edit"),
    path("voluntary/", views.voluntary_list, name="voluntary"),
    path("voluntary/<int:pk>/withdraw/", views.voluntary_withdraw, name="voluntary_withdraw"),
    path("attachments/<int:pk>/", views.attachment, name="attachment"),
    path("commitments/", views.commitment_list, name="commitments"),
    path("commitments/<slug:code>/sign/", views.commitment_sign, name="commitment_sign"),
    path("consent/", views.consent_list, name="consent"),
    path("consent/<str:pk>/revoke/", views.consent_revoke, name="consent_revoke"),
    path("lookups/", views.lookup_list, name="lookups"),
    path("removal/", views.removal_list, name="removal"),
    path("removal/<int:pk>/withdraw/", views.removal_withdraw, name="removal_withdraw"),
]
