"""``/api/v1/ledger/`` routes (a trailing slash is accepted and means the same)."""

from django.urls import re_path

from core.api import views

urlpatterns = [
    re_path(r"^ledger/checkpoints/?$", views.LedgerCheckpointsView.as_view(), name="ledger-checkpoints"),
    re_path(
        r"^ledger/proof/(?P<record_id>[0-9]{1,19})/?$", views.LedgerProofView.as_view(), name="ledger-proof"
    ),
    re_path(r"^ledger/consistency/?$", views.LedgerConsistencyView.as_view(), name="ledger-consistency"),
]
