"""Computed summaries in DynamoDB (one small item each, replaced on every run)."""

from __future__ import annotations

from typing import Any

from chalicelib.adapters.dynamo.models import SummaryModel


class DynamoSummaryStore:
    """Summaries by id."""

    def get(self, summary_id: str) -> dict[str, Any] | None:
        try:
            item = SummaryModel.get(summary_id)
        except SummaryModel.DoesNotExist:
            return None
        return dict(item.body)

    def put(self, summary_id: str, body: dict[str, Any], computed_at_ms: int) -> None:
        SummaryModel(summary_id, body=body, computed_at=computed_at_ms).save()
