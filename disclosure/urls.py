"""Public site URLs."""

from django.urls import path

from disclosure import views

app_name = "disclosure"
urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("subject/<str:code>/", views.subject_detail, name="subject"),
    path("subject/<str:code>/report/", views.subject_report, name="subject_report"),
    path("publicity/", views.publicity_feed, name="feed"),
    path("lists/", views.lists_index, name="lists"),
    path("lists/<slug:slug>/", views.list_page, name="list"),
    path("lists/<slug:slug>/changes/", views.list_changes, name="list_changes"),
    path("lists/<slug:slug>/feed/", views.list_feed, name="list_feed"),
    path("verify/", views.verify_index, name="verify"),
    path("verify/public-key.pem", views.public_key, name="public_key"),
    path("verify/<str:number>/", views.verify_report, name="verify_report"),
]
