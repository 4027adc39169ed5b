"""What the office tells an applicant, in their language, as free text inside the 24-hour window or as an
approved utility template outside it, so that no send is one Meta would refuse with 131047."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from chalicelib.domain.actors import SERVICE
from chalicelib.domain.applicants import ApplicantRef
from chalicelib.domain.errors import InvalidOutboundMessage
from chalicelib.domain.outbound import OutboundMessage, Template, Text
from chalicelib.i18n import translate
from chalicelib.i18n.formats import join_list
from chalicelib.services.messages.ports import OutboxEntry

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence

    from chalicelib.domain.actors import Actor
    from chalicelib.domain.cases import Case, CaseEvent
    from chalicelib.domain.templates import TemplateSpec
    from chalicelib.domain.upload_links import IssuedLink
    from chalicelib.services.cases.ports import CaseRepository
    from chalicelib.services.messages.messenger import Messenger, SendOutcome
    from chalicelib.services.messages.ports import ApplicantStore

WINDOW_MS = 24 * 60 * 60 * 1000


def applicant_ref(case: Case) -> ApplicantRef:
    """Where the case's messages go."""
    return ApplicantRef(wa_id=case.applicant.wa_id, user_id=case.applicant.user_id)


def template_parameter(value: str) -> str:
    """Meta refuses template parameters with new lines, tabs or more than four spaces in a row."""
    return " ".join(value.split())[:1000]


def document_title(codes: Sequence[str], language: str) -> str:
    """One thing to send: a document's title, or a one_of group's alternatives ("A, B or C")."""
    return join_list([translate(f"document.{code}.title", language) for code in codes], language, style="or")


def document_lists(units: Iterable[Sequence[str]], language: str) -> tuple[str, str]:
    """The things to send as bullet lines (free text) and on one line (template parameters refuse new lines)."""
    titles = [document_title(codes, language) for codes in units]
    return "\n".join(f"• {t}" for t in titles), join_list(titles, language)


def link_text(link: IssuedLink, language: str) -> str:
    """The line that gives the applicant their secure upload page, and how long it works."""
    hours = max(1, (link.link.expires_at_ms - link.link.created_at_ms) // 3_600_000)
    return translate("notice.upload_link", language, url=link.url, hours=str(hours))


@dataclass(frozen=True, slots=True)
class Notice:
    """A message for one applicant: its text (key and values) and the template that says it outside the window."""

    text_key: str
    values: Mapping[str, str]
    template: TemplateSpec
    extra_text: str = ""  # appended verbatim (e.g. an officer's note), only in free-text form
    prefix_text: str = ""  # put first, only in free-text form (e.g. "this replaces your earlier appointment")
    template_values: Mapping[str, str] | None = None  # when the template needs other values (one-line lists)
    # The secure upload page, for notices that ask for documents: never ask for them in the chat itself.
    link: IssuedLink | None = None

    def __post_init__(self) -> None:
        if self.template.url_button != (self.link is not None):
            raise InvalidOutboundMessage(f"{self.template.name} needs an upload link exactly when it has a URL button")


@dataclass(frozen=True, slots=True)
class Notifier:
    """Builds and sends notices."""

    messenger: Messenger
    applicants: ApplicantStore
    clock_ms: Callable[[], int]

    def window_closes_at(self, case: Case) -> int | None:
        """When (ms) the applicant's 24-hour window closes: 24 hours after they last wrote (None if they never did)."""
        last = self.applicants.last_inbound_at(applicant_ref(case))
        return None if last is None else last * 1000 + WINDOW_MS

    def window_open(self, case: Case) -> bool:
        """Whether the applicant wrote to us in the last 24 hours (free-form messages are allowed)."""
        closes = self.window_closes_at(case)
        return closes is not None and self.clock_ms() < closes

    def build(
        self, case: Case, notice: Notice, outbound_id: str, force_template: bool = False, author: Actor = SERVICE
    ) -> OutboundMessage:
        """The message for ``notice``: text in the window, else the template with the same values; filed in the
        case's thread under ``author`` (the officer whose action it tells, or the service)."""
        language = case.applicant.language
        if self.window_open(case) and not force_template:
            body = translate(notice.text_key, language, **notice.values)
            if notice.prefix_text:
                body = f"{notice.prefix_text}\n\n{body}"
            if notice.extra_text:
                body = f"{body}\n\n{notice.extra_text}"
            if notice.link is not None:
                # Last, and whole: a cut link is worse than none (the rest is trimmed instead).
                line = link_text(notice.link, language)
                body = f"{body[: 4096 - len(line) - 2]}\n\n{line}"
            content: Text | Template = Text(body[:4096])
        else:
            spec = notice.template
            values = notice.template_values or notice.values
            parameters = tuple(template_parameter(values[name]) for name in spec.parameters)
            token = notice.link.token if notice.link is not None else None
            content = Template(spec.name, spec.language_code(language), parameters, token, spec.quick_reply)
        return OutboundMessage(
            outbound_id,
            applicant_ref(case),
            content,
            purpose=notice.template.name,
            case_id=case.case_id,
            author=author,
            office=case.office,  # from the case's office's number
            link=notice.link.link.issued_for if notice.link is not None else None,
        )

    def save_then_send(
        self, cases: CaseRepository, case: Case, events: list[CaseEvent], message: OutboundMessage
    ) -> tuple[Case, SendOutcome]:
        """The outbox's order, in one place: save the change with ``message`` queued in the same transaction
        (a conflict saves nothing and sends nothing), then try the send at once; refused for now, the outbox
        sweep sends it (``queued``)."""
        saved = cases.save(case, events, outbox=self.queue(message))
        return saved, self.send_queued(message)

    def queue(self, message: OutboundMessage) -> OutboxEntry:
        """``message`` as the outbox record a case write stores ``queued`` (for writes that
        :meth:`save_then_send` does not make itself: a booking with its slot, a new case)."""
        return OutboxEntry(message, self.messenger.rendered(message), self.clock_ms(), self._sendable_at())

    def send_queued(self, message: OutboundMessage) -> SendOutcome:
        """Send a message whose record was saved ``queued``; refused for now, the outbox sweep sends it."""
        return self.messenger.send_queued(message).outcome

    def _sendable_at(self) -> int:
        # The request's own attempt comes first: the sweep takes a queued message only once a claim would have
        # expired.
        return self.clock_ms() + self.messenger.policy.lease_ms
