"""How long personal data is kept: one policy, read from the settings, that every store's expiry follows.

Documents go first (by then they are in the Questura's own system), the case's personal fields and records later
(an anonymised case stays for the waiting-time figures), applicants without an open case after a silence, and the
audit log (ids, never content) last. The README's "Retention" table lists every store against these figures.
"""

from __future__ import annotations

from dataclasses import dataclass

DAY_MS = 24 * 60 * 60 * 1000
# The case item's own expiry comes this long after its records': the anonymising job removes it first, so TTL only
# ever deletes a case whose personal fields the job failed to remove (nothing personal is kept without an end).
CASE_ITEM_GRACE_DAYS = 14


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """Days each kind of personal data is kept, counted from the event that starts its clock."""

    document_days: int = 30  # after the case closes
    case_days: int = 180  # after the case closes: its personal fields, thread and records
    applicant_days: int = 30  # after the applicant's last message, once no case of theirs is open
    audit_days: int = 730  # after the entry was written

    def __post_init__(self) -> None:
        if min(self.document_days, self.case_days, self.applicant_days, self.audit_days) < 1:
            raise ValueError("retention periods are at least one day")
        if self.document_days > self.case_days:
            raise ValueError("documents cannot outlive the case records that name them")

    def documents_until_ms(self, closed_at_ms: int) -> int:
        """When a closed case's documents (files and their records) go."""
        return closed_at_ms + self.document_days * DAY_MS

    def records_until_ms(self, closed_at_ms: int) -> int:
        """When a closed case's timeline and other records go."""
        return closed_at_ms + self.case_days * DAY_MS

    def case_item_until_ms(self, closed_at_ms: int) -> int:
        """The backstop expiry of a closed case's item, should it never be anonymised."""
        return closed_at_ms + (self.case_days + CASE_ITEM_GRACE_DAYS) * DAY_MS

    def applicant_until_ms(self, last_seen_ms: int) -> int:
        """When an applicant without an open case is forgotten."""
        return last_seen_ms + self.applicant_days * DAY_MS

    def audit_until_ms(self, at_ms: int) -> int:
        """When an audit entry goes."""
        return at_ms + self.audit_days * DAY_MS
