"""``/ledger/``: the Merkle log's checkpoints and proofs, public pages and their JSON."""

from django.urls import path

from core import views

app_name = "ledger"
urlpatterns = [
    path("checkpoints", views.checkpoints_page, name="checkpoints"),
    path("checkpoints.json", views.checkpoints_json, name="checkpoints_json"),
    path("proof/<int:record_id>.json", views.proof_json, name="proof_json"),
    path("proof/<int:record_id>", views.proof_page, name="proof"),
    path("consistency", views.consistency_page, name="consistency"),
    path("consistency.json", views.consistency_json, name="consistency_json"),
    path("public-key.pem", views.public_key, name="public_key"),
]
