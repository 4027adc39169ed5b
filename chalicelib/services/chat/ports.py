"""Where conversations are kept."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from chalicelib.domain.applicants import ApplicantRef
    from chalicelib.domain.conversation import Conversation


class ConversationStore(Protocol):
    """One conversation per applicant."""

    def load(self, applicant: ApplicantRef) -> Conversation:
        """The applicant's conversation (a new one if they never wrote)."""
        ...

    def save(self, conversation: Conversation) -> None:
        """Store it if nobody saved it since it was loaded (else :class:`VersionConflict`)."""
        ...

    def opted_out(self, applicant: ApplicantRef) -> bool:
        """Whether the applicant asked for no reminders."""
        ...
