"""Public pages (the full site comes with the disclosure issue)."""

from django.shortcuts import render

from registry.models import CreditRecord, Subject


def home(request):
    """Landing page: a search box and headline counts."""
    context = {
        "subject_count": Subject.objects.count(),
        "record_count": CreditRecord.objects.public().count(),
    }
    return render(request, "disclosure/home.html", context)
