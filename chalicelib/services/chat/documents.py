"""Files in the chat: stored under the applicant's case, then matched to a checklist item (by caption or choice)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from chalicelib.domain.actors import APPLICANT
from chalicelib.domain.cases import CaseEvent
from chalicelib.domain.conversation import ConversationState
from chalicelib.domain.normalise import normalise
from chalicelib.i18n import catalogue as texts
from chalicelib.i18n import translate
from chalicelib.services.chat import replies
from chalicelib.services.chat.media_intake import MediaRejected

if TYPE_CHECKING:
    from chalicelib.domain.cases import Case
    from chalicelib.domain.inbound import InboundMessage
    from chalicelib.services.chat.turn import ChatDeps, Turn


def receive_file(message: InboundMessage, turn: Turn, deps: ChatDeps) -> None:
    if turn.case is None:
        turn.say("conv.document.no_case")  # nothing is fetched or kept for someone with no case
        return
    try:
        document = deps.intake.store(message, turn.case)
    except MediaRejected as rejected:
        turn.refused = rejected.reason
        turn.events.append(CaseEvent("document_refused", deps.clock_ms(), APPLICANT, {"reason": rejected.reason}))
        turn.say(
            f"conv.document.{rejected.reason}",
            **({"max_mb": str(deps.max_mb)} if rejected.reason == "too_large" else {}),
        )
        return
    turn.document_id = document.document_id
    turn.events.append(
        CaseEvent(
            "document_received", deps.clock_ms(), APPLICANT, {"document_id": document.document_id, "source": "chat"}
        )
    )
    code = _filed_as(turn.case, document.document_id) or _item_from_caption(message, turn.case, turn.language)
    turn.conversation = replace(turn.conversation, pending_document_id=document.document_id)
    if code:
        assign_pending(code, turn, deps)
    else:
        turn.conversation = replace(turn.conversation, state=ConversationState.CHOOSING_ITEM)
        turn.replies.append(replies.items_menu(turn.case, turn.language))


def _filed_as(case: Case, document_id: str) -> str | None:
    """The item an earlier delivery of this message filed its document under (its reply could not be sent): the
    answer is the same as then, not a question about an item that is no longer outstanding."""
    return next((item.code for item in case.checklist.items if item.document_id == document_id), None)


def _item_from_caption(message: InboundMessage, case: Case, language: str) -> str | None:
    """The outstanding checklist item a caption names (its code, or its title in the applicant's language)."""
    caption = normalise(str(message.message.get(message.type.value, {}).get("caption") or ""))
    if not caption:
        return None
    for item in case.checklist.items:
        if not (item.outstanding or item.state.value == "rejected"):
            continue
        names = {normalise(item.code.replace("_", " "))}
        for lang in {language, "it"}:
            catalogue = texts(lang)
            names |= {normalise(catalogue.get(f"document.{item.code}.{k}", "")) for k in ("short", "title")}
        if any(name and name in caption for name in names):
            return item.code
    return None


def assign_pending(code: str, turn: Turn, deps: ChatDeps) -> None:
    document_id = turn.conversation.pending_document_id
    turn.conversation = replace(turn.conversation, state=ConversationState.IDLE, pending_document_id=None)
    if turn.case is None or document_id is None:
        turn.say("conv.help")
        return
    if code == "_other" or code not in {i.code for i in turn.case.checklist.items}:
        turn.say("conv.document.unassigned")
        turn.unanswered = True
        return
    case = turn.case
    if case.checklist.item(code).document_id != document_id:  # a redelivery must not attach twice
        deps.cases.set_document_item(case.case_id, document_id, code)
        updated, events = case.with_checklist(
            case.checklist.receive(code, document_id, deps.clock_ms()), deps.clock_ms(), APPLICANT
        )
        turn.case = deps.cases.save(
            updated,
            [
                *events,
                CaseEvent("document_assigned", deps.clock_ms(), APPLICANT, {"item": code, "document_id": document_id}),
            ],
        )
    turn.say("conv.document.received", document=translate(f"document.{code}.title", turn.language))
