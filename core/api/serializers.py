"""Shapes of the ledger's checkpoints and proofs in the API (for the schema; the views answer
the same dicts as the public ``/ledger/*.json`` pages)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

HEX64: dict[str, Any] = {"min_length": 64, "max_length": 64}


class CheckpointSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """A signed tree head: the Ed25519 signature covers ``body``, rebuilt from the other fields."""

    tree_size = serializers.IntegerField(min_value=1, help_text=_("Number of ledger entries in the tree."))
    root_hash = serializers.CharField(**HEX64, help_text=_("RFC 9162 Merkle root, hex."))
    timestamp = serializers.CharField(help_text=_("Signing time, UTC, YYYY-MM-DDTHH:MM:SSZ."))
    origin = serializers.CharField(help_text=_("The signing platform's address."))
    key_id = serializers.CharField(help_text=_("First 16 hex digits of SHA-256 of the raw public key."))
    signature = serializers.CharField(help_text=_("Base64 Ed25519 signature of body."))
    body = serializers.CharField(help_text=_("The exact signed text (five lines)."))


class CheckpointListSerializer(serializers.Serializer):  # type: ignore[type-arg]
    origin = serializers.CharField()
    key_id = serializers.CharField()
    public_key = serializers.CharField(help_text=_("The platform's Ed25519 public key, PEM."))
    latest = CheckpointSerializer(allow_null=True)
    checkpoints = CheckpointSerializer(many=True, help_text=_("Oldest first, above ?after."))
    next_after = serializers.IntegerField(
        allow_null=True, help_text=_("Ask again with ?after=<next_after> for more; null when done.")
    )


class LedgerEntrySerializer(serializers.Serializer):  # type: ignore[type-arg]
    """A ledger entry exactly as its chain hash covers it, plus that hash."""

    seq = serializers.IntegerField()
    created_at = serializers.CharField()
    action = serializers.CharField()
    object_type = serializers.CharField()
    object_id = serializers.CharField()
    actor_id = serializers.IntegerField(allow_null=True)
    actor_name = serializers.CharField()
    request_id = serializers.CharField()
    before = serializers.JSONField(allow_null=True)
    after = serializers.JSONField(allow_null=True)
    prev_hash = serializers.CharField(**HEX64)
    hash = serializers.CharField(**HEX64)


class BatchItemSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """A row loaded in bulk: its state when loaded and the audit path from its leaf to the root
    the batch entry records (docs/ledger.md, "Bulk loads")."""

    object_type = serializers.CharField()
    object_id = serializers.CharField()
    state = serializers.JSONField(help_text=_("Every field of the row as loaded (plain JSON)."))
    position = serializers.IntegerField(help_text=_("The row's place in the batch, from 0."))
    batch_size = serializers.IntegerField()
    batch_path = serializers.ListField(child=serializers.CharField(**HEX64))


class InclusionProofSerializer(serializers.Serializer):  # type: ignore[type-arg]
    record_id = serializers.IntegerField()
    entry = LedgerEntrySerializer(help_text=_("The record's latest ledger entry."))
    leaf_index = serializers.IntegerField(help_text=_("seq - 1."))
    leaf_hash = serializers.CharField(**HEX64, help_text=_("SHA-256(0x00 || entry hash bytes), hex."))
    tree_size = serializers.IntegerField()
    inclusion_path = serializers.ListField(child=serializers.CharField(**HEX64))
    checkpoint = CheckpointSerializer()
    item = BatchItemSerializer(
        required=False, help_text=_("Present when the entry is the batch that loaded the record.")
    )


class ConsistencyProofSerializer(serializers.Serializer):  # type: ignore[type-arg]
    first = CheckpointSerializer()
    second = CheckpointSerializer()
    consistency_path = serializers.ListField(child=serializers.CharField(**HEX64))
