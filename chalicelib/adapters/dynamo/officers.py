"""The officers' directory in DynamoDB: one item per (office, username), expiring after the officer's last visit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chalicelib.adapters.dynamo.models import OfficerModel
from chalicelib.auth.identity import Role
from chalicelib.services.officers import OfficerProfile


def _profile(item: OfficerModel) -> OfficerProfile:
    return OfficerProfile(
        office=item.office,
        username=item.username,
        subject=item.subject,
        display_name=item.display_name,
        role=Role(item.role),
        last_seen_at_ms=int(item.last_seen_at),
    )


class DynamoOfficerDirectory:
    """:class:`~chalicelib.services.officers.OfficerDirectory` on the officers table."""

    def __init__(self, retention_days: int) -> None:
        self._retention = timedelta(days=retention_days)

    def remember(self, profile: OfficerProfile) -> None:
        seen = datetime.fromtimestamp(profile.last_seen_at_ms / 1000, tz=UTC)
        OfficerModel(
            profile.office,
            profile.username,
            subject=profile.subject,
            display_name=profile.display_name,
            role=profile.role.value,
            last_seen_at=profile.last_seen_at_ms,
            expires_at=seen + self._retention,
        ).save()

    def of_office(self, office: str) -> list[OfficerProfile]:
        return [_profile(item) for item in OfficerModel.query(office)]

    def find(self, office: str, username: str) -> OfficerProfile | None:
        try:
            return _profile(OfficerModel.get(office, username))
        except OfficerModel.DoesNotExist:
            return None
