"""A case's thread from DynamoDB: the inbound and outbound messages filed under the case, merged in order.

Each table has a sparse ``by_case`` index keyed by case and thread key (time first); a page is one Query on each,
newest first, merged. Asking each for one entry more than the page tells whether older entries remain, so the
last page carries no cursor.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.adapters.dynamo.messages import inbound_from_model
from chalicelib.adapters.dynamo.models import InboundModel, OutboundModel
from chalicelib.domain.actors import actor_from_stored
from chalicelib.domain.thread import (
    Delivery,
    Direction,
    TemplateUse,
    ThreadEntry,
    ThreadPage,
    delivery_state,
    entry_id,
    inbound_entry,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

OUTBOUND_KINDS = {"Text": "text", "Buttons": "buttons", "ListMenu": "list", "Template": "template"}


def _outbound_entry(item: OutboundModel) -> ThreadEntry:
    content: dict[str, Any] = dict(item.content or {})
    kind = OUTBOUND_KINDS.get(str(content.get("kind")), "text")
    template = None
    if kind == "template":
        parameters = tuple(str(p) for p in content.get("body_parameters") or ())
        template = TemplateUse(str(content.get("name")), str(content.get("language")), parameters)
    delivery = Delivery(
        delivery_state(item.state, item.status),
        int(item.status_at * 1000) if item.status_at is not None else None,
        int(item.error_code) if item.error_code is not None else None,
        item.error_title,
    )
    return ThreadEntry(
        entry_id=entry_id(str(item.thread_key)),
        direction=Direction.OUT,
        at_ms=int(item.created_at or 0),
        author=actor_from_stored(item.author),
        kind=kind,
        text=item.rendered,
        options=tuple(str(o) for o in item.options or ()),
        template=template,
        delivery=delivery,
    )


def _inbound_entry(item: InboundModel) -> ThreadEntry:
    return inbound_entry(inbound_from_model(item), int(item.received_at), item.document_id, item.file_refused)


class DynamoThreadStore:
    """:class:`~chalicelib.services.messages.ports.ThreadStore` on the inbound and outbound tables."""

    def page(self, case_id: str, before: str | None, limit: int) -> ThreadPage:
        inbound = self._newest(InboundModel.by_case, InboundModel.thread_key, case_id, before, limit + 1)
        outbound = self._newest(OutboundModel.by_case, OutboundModel.thread_key, case_id, before, limit + 1)
        keyed = [(str(i.thread_key), _inbound_entry(i)) for i in inbound]
        keyed += [(str(o.thread_key), _outbound_entry(o)) for o in outbound]
        keyed.sort(key=lambda pair: pair[0], reverse=True)
        page = keyed[:limit]
        older = page[-1][0] if len(keyed) > limit and page else None
        return ThreadPage(tuple(entry for _, entry in reversed(page)), older)

    @staticmethod
    def _newest(index: Any, key: Any, case_id: str, before: str | None, limit: int) -> Iterable[Any]:
        condition = key < before if before else None
        return list(index.query(case_id, condition, scan_index_forward=False, limit=limit))
