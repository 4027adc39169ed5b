"""The approved WhatsApp message templates Sportello may send outside the 24-hour window.

Templates are created and approved in Meta's WhatsApp Manager, one per language, all in the **utility** category
(they are about the applicant's own case, never promotional). Here is what the app needs to send them: the name,
the body parameters in order, and Meta's language code for each of our languages. Their approved wording is kept
in the ``messages`` catalogues as ``template.<name>.body`` so the office can read what each one says.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.domain.errors import DomainError
from chalicelib.i18n.languages import language as chat_language


class UnknownTemplate(DomainError):
    """No approved template has that name."""


@dataclass(frozen=True, slots=True)
class TemplateSpec:
    """One approved template."""

    name: str
    parameters: tuple[str, ...]
    # A "visit website" button registered as ``<upload page URL>{{1}}``: the parameter is the link's token.
    url_button: bool = False
    # A quick-reply button: tapping it sends back this payload (and opens the 24-hour window).
    quick_reply: str | None = None

    def language_code(self, language: str) -> str:
        """Meta's code for ``language`` (Italian when we have no template in that language)."""
        known = chat_language(language)
        return known.meta_code if known else "it"


CASE_OPENED = TemplateSpec("sportello_pratica_verificata", ("case_ref",))
DOCUMENTS_REQUESTED = TemplateSpec("sportello_documenti_richiesti", ("case_ref", "documents"), url_button=True)
DOCUMENT_REJECTED = TemplateSpec(
    "sportello_documento_non_accettato", ("case_ref", "document", "reason"), url_button=True
)
APPOINTMENT_BOOKED = TemplateSpec("sportello_appuntamento", ("case_ref", "date", "time", "place"))
APPOINTMENT_MOVED = TemplateSpec(
    "sportello_appuntamento_spostato", ("case_ref", "old_date", "old_time", "date", "time", "place")
)
CHOOSE_VISIT = TemplateSpec("sportello_scegli_appuntamento", ("case_ref",), quick_reply="visit.choose")
OFFICE_MESSAGE = TemplateSpec("sportello_messaggio_ufficio", ("case_ref",))
REMINDER_DOCUMENTS = TemplateSpec("sportello_promemoria_documenti", ("case_ref", "documents"), url_button=True)
REMINDER_REJECTED = TemplateSpec("sportello_promemoria_documenti_rifiutati", ("case_ref", "documents"), url_button=True)
REMINDER_APPOINTMENT = TemplateSpec(
    "sportello_promemoria_appuntamento", ("case_ref", "date", "time", "place", "originals")
)
REMINDER_EXPIRY = TemplateSpec("sportello_promemoria_scadenza", ("date", "documents"))
# Erasure (art. 17): the data are erased; a request is refused, with the reason in the applicant's language.
DATA_ERASED = TemplateSpec("sportello_dati_cancellati", ("case_ref",))
ERASURE_REFUSED = TemplateSpec("sportello_cancellazione_rifiutata", ("case_ref", "reason"))

TEMPLATES = {
    t.name: t
    for t in (
        CASE_OPENED,
        DOCUMENTS_REQUESTED,
        DOCUMENT_REJECTED,
        APPOINTMENT_BOOKED,
        APPOINTMENT_MOVED,
        CHOOSE_VISIT,
        OFFICE_MESSAGE,
        REMINDER_DOCUMENTS,
        REMINDER_REJECTED,
        REMINDER_APPOINTMENT,
        REMINDER_EXPIRY,
        DATA_ERASED,
        ERASURE_REFUSED,
    )
}


def template(name: str) -> TemplateSpec:
    """The approved template called ``name``."""
    try:
        return TEMPLATES[name]
    except KeyError:
        raise UnknownTemplate(name) from None
