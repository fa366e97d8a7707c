"""Objections and credit repair, mounted at ``/objections/``: the public side (file, follow) and
the enterprise portal's side (``enterprise/...``)."""

from django.urls import path

from objections import views

app_name = "objections"
urlpatterns = [
    path("record/<int:record_id>/", views.file_objection, name="file"),
    path("filed/", views.filed, name="filed"),
    path("track/", views.track, name="track"),
    path("track/<str:number>/<str:token>/", views.tracker, name="tracker"),
    path("track/<str:number>/<str:token>/withdraw/", views.tracker_withdraw, name="tracker_withdraw"),
    path("attachments/<int:pk>/", views.objection_attachment, name="objection_attachment"),
    path("repair-attachments/<int:pk>/", views.repair_attachment, name="repair_attachment"),
    path("enterprise/", views.portal_home, name="portal"),
    path("enterprise/record/<int:record_id>/object/", views.portal_object, name="portal_object"),
    path("enterprise/record/<int:record_id>/repair/", views.portal_repair, name="portal_repair"),
    path(
        "enterprise/objections/<int:pk>/withdraw/",
        views.portal_objection_withdraw,
        name="portal_objection_withdraw",
    ),
    path("enterprise/repairs/<int:pk>/appeal/", views.portal_repair_appeal, name="portal_repair_appeal"),
    path(
        "enterprise/repairs/<int:pk>/withdraw/", views.portal_repair_withdraw, name="portal_repair_withdraw"
    ),
]
