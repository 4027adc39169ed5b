"""The reminder store's worker lease on moto: one worker at a time, a dead worker's reminder taken again once its
lease has expired, and "sent" only with a wamid (issue 16)."""

from __future__ import annotations

import pytest

from chalicelib.adapters.dynamo.models import bind_models
from chalicelib.adapters.dynamo.reminders import DynamoReminderStore, ReminderModel
from chalicelib.domain.reminders import Reminder, ReminderKind, ReminderState
from chalicelib.services.reminders.ports import SentWithoutWamid, StartOutcome
from chalicelib.settings import get_settings

NOW = 1_764_100_000_000
LEASE = 90_000
CASE, REMINDER = "AN-LEASE01", "missing_documents#2026-12-07"


@pytest.fixture
def store(aws: None) -> DynamoReminderStore:
    bind_models(get_settings())
    store = DynamoReminderStore(["AN"], lambda: NOW)
    reminder = Reminder(
        CASE, "AN", "wa#393330000001", ReminderKind.MISSING_DOCUMENTS, REMINDER, NOW, 1, ReminderState.QUEUED, NOW
    )
    assert store.create(reminder)
    return store


def test_a_live_lease_keeps_other_workers_out_until_it_expires(store: DynamoReminderStore) -> None:
    assert store.start(CASE, REMINDER, NOW, NOW + LEASE) is StartOutcome.STARTED
    assert store.start(CASE, REMINDER, NOW + LEASE - 1, NOW + 2 * LEASE) is StartOutcome.BUSY
    # The first worker died: once its lease is over, the job's next delivery takes the reminder.
    assert store.start(CASE, REMINDER, NOW + LEASE, NOW + 2 * LEASE) is StartOutcome.STARTED


def test_a_released_lease_lets_the_next_delivery_start_at_once(store: DynamoReminderStore) -> None:
    store.start(CASE, REMINDER, NOW, NOW + LEASE)
    store.release(CASE, REMINDER)
    assert store.start(CASE, REMINDER, NOW + 1, NOW + LEASE) is StartOutcome.STARTED


def test_sent_needs_the_wamid_and_keeps_it(store: DynamoReminderStore) -> None:
    store.start(CASE, REMINDER, NOW, NOW + LEASE)
    with pytest.raises(SentWithoutWamid):
        store.finish(CASE, REMINDER, ReminderState.SENT, "sent")
    assert ReminderModel.get(CASE, REMINDER).state == ReminderState.SENDING.value

    store.finish(CASE, REMINDER, ReminderState.SENT, "sent", "wamid.out.1")

    item = ReminderModel.get(CASE, REMINDER)
    assert (item.state, item.wamid, item.lease_until) == ("sent", "wamid.out.1", None)
    assert store.start(CASE, REMINDER, NOW + 10 * LEASE, NOW + 11 * LEASE) is StartOutcome.DONE
