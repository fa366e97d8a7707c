"""The whole site under /mounted/, for the tests of links under another URLconf."""

from django.urls import include, path

urlpatterns = [path("mounted/", include("credit_platform.urls"))]
