"""The applicant's side of the chat: language, status, information, documents, and hand-off to an officer.

One call per inbound message, in arrival order per applicant (the processor guarantees it). The turn is worked
out first, then its effects happen in an order that makes a redelivery harmless: the file is stored under an id
derived from the wamid, each timeline line is stored once (named by the wamid: :mod:`.timeline`), each reply is
sent at most once (ids ``chat.<applicant>.<wamid>.<n>``: :func:`reply_id`), and the conversation is saved last
with the wamid it handled, so that a message already handled is skipped.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from functools import lru_cache
from typing import TYPE_CHECKING

from chalicelib.domain.cases import PREVIEW_CHARS, MessagePreview
from chalicelib.domain.catalogue import Procedure
from chalicelib.domain.conversation import Command, ConversationState, parse_command
from chalicelib.domain.inbound import MessageType
from chalicelib.domain.normalise import normalise
from chalicelib.domain.outbound import OutboundMessage, Text
from chalicelib.domain.thread import inbound_content
from chalicelib.domain.upload_links import LinkPurpose
from chalicelib.i18n import available_languages, translate
from chalicelib.i18n import catalogue as texts
from chalicelib.i18n.languages import guess_from_region
from chalicelib.i18n.languages import language as chat_language
from chalicelib.services.calendar import visits
from chalicelib.services.cases.erasure import request_erasure
from chalicelib.services.chat import replies, visit
from chalicelib.services.chat.documents import assign_pending, receive_file
from chalicelib.services.chat.timeline import TurnCases, message_cause
from chalicelib.services.chat.turn import ChatDeps, Turn
from chalicelib.services.messages.notices import link_text
from chalicelib.services.messages.ports import InboundFiling
from chalicelib.services.privacy import first_contact_line, short_notice
from chalicelib.services.uploads.page import wanted_items

if TYPE_CHECKING:
    from collections.abc import Callable

    from chalicelib.domain.cases import Case
    from chalicelib.domain.inbound import InboundMessage

UNSUPPORTED = frozenset(
    {
        MessageType.STICKER,
        MessageType.AUDIO,
        MessageType.VIDEO,
        MessageType.LOCATION,
        MessageType.CONTACTS,
        MessageType.ORDER,
        MessageType.UNSUPPORTED,
    }
)


@lru_cache(maxsize=1)
def command_words() -> dict[Command, frozenset[str]]:
    """Every language's words for every command (any of them works whatever the chosen language)."""
    words: dict[Command, frozenset[str]] = {}
    for command in Command:
        found: set[str] = set()
        for language in available_languages():
            found.update(normalise(w) for w in texts(language).get(f"command.{command.value}.words", "").split(","))
        words[command] = frozenset(w for w in found if w)
    return words


def handle_message(message: InboundMessage, deps: ChatDeps) -> None:
    """Answer one inbound message (at most once, however often it is delivered)."""
    conversation = deps.conversations.load(message.applicant)
    if conversation.last_wamid == message.wamid:
        return
    # A turn that stopped half-way runs again: its timeline lines are named by the message, so stored once.
    deps = replace(deps, cases=TurnCases(deps.cases, message_cause(message)))
    case = _open_case(message, deps)
    guess = _guess(message, case, deps)
    turn = Turn(conversation, conversation.language or guess, case, office=message.office)
    if message.type is not MessageType.REACTION:  # a reaction is not a question: it joins the thread, unanswered
        _dispatch(message, turn, deps, guess)
    _apply(message, turn, deps)


def _open_case(message: InboundMessage, deps: ChatDeps) -> Case | None:
    keys = [f"wa#{message.applicant.wa_id}"] if message.applicant.wa_id else []
    keys += [f"bsuid#{message.applicant.user_id}"] if message.applicant.user_id else []
    for key in keys:
        case = deps.cases.open_case_for(key)
        if case is not None:
            return case
    return None


def _guess(message: InboundMessage, case: Case | None, deps: ChatDeps) -> str:
    if case is not None:
        return case.applicant.language
    region = deps.region_of(message.applicant.wa_id) if message.applicant.wa_id else None
    guess = guess_from_region(region)
    return guess if guess in available_languages() else "it"


def _dispatch(message: InboundMessage, turn: Turn, deps: ChatDeps, guess: str) -> None:
    state = turn.conversation.state
    if state is ConversationState.NEW:
        turn.conversation = replace(turn.conversation, state=ConversationState.CHOOSING_LANGUAGE, language=guess)
        # A first contact: the privacy notice's line (GDPR art. 13: when the data are collected) goes with the menu.
        privacy = first_contact_line(_office_code(turn, deps), deps.privacy, guess)
        turn.replies.append(replies.language_menu(guess, footer=privacy))
        if message.type in (MessageType.IMAGE, MessageType.DOCUMENT):
            receive_file(message, turn, deps)
        elif message.text and parse_command(message.text, command_words()):
            _text(message, turn, deps)
        elif message.type is MessageType.UNSUPPORTED:
            turn.say("conv.unsupported")
        return
    reply_id = message.reply_id
    if reply_id is not None:
        _choice(reply_id, turn, deps)
    elif message.type in (MessageType.IMAGE, MessageType.DOCUMENT):
        receive_file(message, turn, deps)
    elif message.type is MessageType.TEXT:
        _text(message, turn, deps)
    elif message.type in UNSUPPORTED:
        turn.say("conv.unsupported")
    if turn.conversation.state is ConversationState.CHOOSING_LANGUAGE:
        turn.conversation = replace(turn.conversation, state=ConversationState.IDLE)


def _closed_case(turn: Turn, deps: ChatDeps) -> Case | None:
    """The applicant's latest case when it is closed (they have no open one): what their status speaks of."""
    latest = deps.cases.latest_case_for(turn.conversation.applicant_key)
    return latest if latest is not None and not latest.is_open else None


def _greet(turn: Turn, deps: ChatDeps) -> None:
    if turn.case is not None:
        turn.replies.append(replies.status(turn.case, deps.catalogue(), turn.language))
    elif (closed := _closed_case(turn, deps)) is not None:
        # e.g. the reply to the office-message template that told them of the closing
        turn.replies.append(replies.closed_status(closed, deps.office(closed.office), turn.language))
        turn.replies.append(replies.info_menu(turn.language))
    else:
        turn.say("conv.unknown.intro")
        turn.say("conv.unknown.how_to_start")
        turn.replies.append(replies.info_menu(turn.language))


def _choice(reply_id: str, turn: Turn, deps: ChatDeps) -> None:
    kind, _, value = reply_id.partition(".")
    if kind == "lang" and chat_language(value) and value in available_languages():
        turn.language = value
        turn.conversation = replace(turn.conversation, language=value, state=ConversationState.IDLE)
        _greet(turn, deps)
    elif kind == "item":
        assign_pending(value, turn, deps)
    elif kind == "slot":
        visit.book(value, turn, deps)
    elif reply_id in (visits.CHOOSE, visits.CHANGE):
        visit.choose(turn, deps)
    elif reply_id == visits.CANCEL:
        visit.cancel(turn, deps)
    elif reply_id in (replies.OPTOUT_YES, replies.OPTOUT_NO):
        _reminders(Command.STOP if reply_id == replies.OPTOUT_YES else None, turn, deps)
    else:
        _information(reply_id, turn, deps)


def _information(reply_id: str, turn: Turn, deps: ChatDeps) -> None:
    """A choice in the information menus: contacts, permit types, procedures, my application."""
    kind, _, value = reply_id.partition(".")
    if reply_id == replies.INFO_CONTACTS:
        turn.replies.append(replies.contacts(deps.office(_office_code(turn, deps)), turn.language))
    elif reply_id == replies.INFO_PERMITS:
        turn.replies.append(replies.permits_menu(deps.catalogue(), turn.language))
    elif reply_id == replies.INFO_STATUS:
        _status(turn, deps)
    elif kind == "permits" and value.startswith("page."):
        page = value.removeprefix("page.")
        turn.replies.append(replies.permits_menu(deps.catalogue(), turn.language, int(page) if page.isdigit() else 0))
    elif kind == "permit" and value in deps.catalogue().codes():
        turn.replies.append(replies.procedure_choice(deps.catalogue().permit(value), turn.language))
    elif kind == "procedure":
        _procedure(value, turn, deps)
    else:
        turn.say("conv.help")


def _procedure(value: str, turn: Turn, deps: ChatDeps) -> None:
    code, _, procedure = value.rpartition(".")
    catalogue = deps.catalogue()
    if code not in catalogue.codes() or procedure not in {p.value for p in Procedure}:
        turn.say("conv.help")
        return
    permit = catalogue.permit(code)
    spec = permit.procedures.get(Procedure(procedure))
    if spec is None:
        turn.say("conv.help")
        return
    turn.replies.append(replies.permit_details(permit, spec, turn.language))


def _office_code(turn: Turn, deps: ChatDeps) -> str:
    """The case's office; without a case, the office whose number the applicant wrote to."""
    return turn.case.office if turn.case else turn.office or deps.default_office


def _status(turn: Turn, deps: ChatDeps) -> None:
    if turn.case is None and (closed := _closed_case(turn, deps)) is not None:
        turn.replies.append(replies.closed_status(closed, deps.office(closed.office), turn.language))
    elif turn.case is None:
        turn.say("conv.unknown.intro")
        turn.say("conv.unknown.how_to_start")
    else:
        turn.replies.append(replies.status(turn.case, deps.catalogue(), turn.language))


def _link(turn: Turn, deps: ChatDeps) -> None:
    """A fresh secure upload link, when the office is waiting for documents (never a request in the chat)."""
    case = turn.case
    if case is None:
        turn.say("conv.unknown.intro")
        turn.say("conv.unknown.how_to_start")
        return
    if not wanted_items(case):
        turn.say("conv.status.nothing_missing")
        return
    issued = deps.issue_link(case, LinkPurpose.CHAT)
    intro = translate("conv.link.intro", turn.language, case_ref=case.case_id)
    turn.replies.append(Text(f"{intro}\n\n{link_text(issued, turn.language)}"))


def _reminders(command: Command | None, turn: Turn, deps: ChatDeps) -> None:
    """Reminders off (an unmistakable stop, or "yes" to the question), on, kept ("no"), or the question itself.

    Meta requires an opt-out to be honoured promptly, so STOP works at once; a word that may mean something else
    ("basta", "روکیں") or a stop word asked as a question ("STOP?") only asks, and only the "yes" button opts out.
    """
    if command is Command.STOP:
        turn.conversation = replace(turn.conversation, opted_out_at_ms=deps.clock_ms())
        turn.say("conv.optout")
    elif command is Command.START:
        turn.conversation = replace(turn.conversation, opted_out_at_ms=None)
        turn.say("conv.optin")
    elif command is Command.MAYBE_STOP:
        turn.replies.append(replies.optout_question(turn.language))
    else:
        turn.say("conv.optout.kept")


def _privacy(turn: Turn, deps: ChatDeps) -> None:
    """The short privacy notice, with the full notice's link, in the applicant's language."""
    office = deps.office(_office_code(turn, deps))
    turn.replies.append(Text(short_notice(office, deps.privacy, turn.language)))


def _erase(turn: Turn, deps: ChatDeps) -> None:
    """An erasure request ("delete my data"): it goes to the office's inbox on the applicant's latest case (open or
    closed) for a supervisor to confirm or refuse; someone with no case hears that only the chat is kept, and how
    long."""
    case = turn.case or deps.cases.latest_case_for(turn.conversation.applicant_key)
    if case is None or case.erased is not None:
        turn.say("conv.erasure.no_case", days=str(deps.privacy.retention.message_days))
        return
    request_erasure(deps.cases, case.case_id, deps.clock_ms())
    turn.say("conv.erasure.requested", case_ref=case.case_id)


def _text(message: InboundMessage, turn: Turn, deps: ChatDeps) -> None:
    command = parse_command(message.text or "", command_words())
    now = deps.clock_ms()
    if command in _REMINDERS:
        _reminders(command, turn, deps)
    elif command is Command.LANGUAGE:
        turn.conversation = replace(turn.conversation, state=ConversationState.CHOOSING_LANGUAGE)
        turn.replies.append(replies.language_menu(turn.language))
    elif command is not None:
        _ANSWERS[command](turn, deps)
    elif turn.case is None:
        _greet(turn, deps)
    else:
        # Not a command: it is for an officer. The case shows it as unanswered; the applicant hears so once a day.
        turn.unanswered = True
        if turn.conversation.needs_handoff_ack(now):
            turn.conversation = replace(turn.conversation, handoff_acknowledged_at_ms=now)
            turn.say("conv.handoff")


_REMINDERS = frozenset({Command.STOP, Command.START, Command.MAYBE_STOP})

# The commands that only answer (the others change the conversation itself, above).
_ANSWERS: dict[Command, Callable[[Turn, ChatDeps], None]] = {
    Command.STATUS: _status,
    Command.INFO: lambda turn, deps: turn.replies.append(replies.info_menu(turn.language)),
    Command.HELP: lambda turn, deps: turn.say("conv.help"),
    Command.LINK: _link,
    Command.VISIT: visit.visit_command,
    Command.PRIVACY: _privacy,
    Command.ERASE: _erase,
}


def _preview(message: InboundMessage) -> MessagePreview:
    """What the inbox shows of a message for an officer."""
    kind, text, _ = inbound_content(message)
    at_ms = message.received_at_ms if message.received_at_ms is not None else message.sent_at * 1000
    return MessagePreview(kind, text[:PREVIEW_CHARS] if text else None, at_ms)


def _apply(message: InboundMessage, turn: Turn, deps: ChatDeps) -> None:
    case = turn.case
    if case is not None:
        deps.inbound.file_under_case(message, case.case_id, InboundFiling(turn.document_id, turn.refused))
        deps.cases.add_events(case.case_id, turn.events)
        language_changed = turn.conversation.language and turn.conversation.language != case.applicant.language
        if turn.unanswered or language_changed:
            deps.cases.touch_from_chat(
                case.case_id,
                unanswered=turn.unanswered,
                language=turn.conversation.language,
                preview=_preview(message) if turn.unanswered else None,
            )
    for index, content in enumerate(turn.replies):
        # The first reply quotes the message it answers, so the applicant sees what it is about.
        reply_to = message.wamid if index == 0 else None
        case_id = case.case_id if case is not None else None
        # From the number the message came to (its office's).
        outbound = OutboundMessage(
            reply_id(message, index), message.applicant, content, reply_to, "chat", case_id, office=turn.office
        )
        deps.messenger.send_once(outbound)
    deps.conversations.save(turn.conversation.handled(message.wamid))


def reply_id(message: InboundMessage, index: int) -> str:
    """The idempotency key of the ``index``-th reply to ``message``: the wamid is Meta's, not proof of who sent it,
    so the key names the applicant too (by a digest of their key: the id travels to Meta and to the logs). At most
    5 + 16 + 1 + 256 (the longest wamid stored) + 1 + 3 characters: within Meta's 512 for the callback data."""
    applicant = hashlib.sha256(message.applicant.key.encode()).hexdigest()[:16]
    return f"chat.{applicant}.{message.wamid}.{index}"
