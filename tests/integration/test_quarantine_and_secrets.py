"""Quarantine records (large bodies go to S3) and the lazily read WhatsApp secrets."""

from __future__ import annotations

import json

import boto3
import pytest

from chalicelib.adapters.dynamo.models import QuarantineModel, bind_models
from chalicelib.adapters.dynamo.quarantine import INLINE_LIMIT_BYTES, DynamoQuarantineStore
from chalicelib.adapters.secrets import SecretsProvider
from chalicelib.services.messages.ports import QuarantineRecord
from chalicelib.settings import ConfigurationError, get_settings

NOW = 1_764_100_000_000


def _store() -> DynamoQuarantineStore:
    settings = get_settings()
    bind_models(settings)
    return DynamoQuarantineStore(30, settings.media_bucket, lambda: boto3.client("s3", region_name="eu-south-1"))


def test_a_small_item_is_kept_inline_and_listed_by_day(aws: None) -> None:
    _store().put(QuarantineRecord("q1", "invalid_json", "$", "JSONDecodeError", "{oops", "ab" * 32, NOW))
    [item] = QuarantineModel.by_day.query("2025-11-25")
    assert (item.reason, item.item, item.s3_key) == ("invalid_json", "{oops", None)


def test_a_body_too_large_for_dynamodb_goes_to_the_encrypted_bucket(aws: None) -> None:
    big = "x" * (INLINE_LIMIT_BYTES + 1)
    _store().put(QuarantineRecord("q2", "invalid_json", "$", "", big, "cd" * 32, NOW))
    item = QuarantineModel.get("q2")
    assert item.item is None and item.s3_key is not None
    obj = boto3.client("s3", region_name="eu-south-1").get_object(Bucket=get_settings().media_bucket, Key=item.s3_key)
    assert obj["Body"].read().decode() == big
    assert obj["ServerSideEncryption"] == "aws:kms"


def _without_env_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "WHATSAPP_APP_SECRET",
        "WHATSAPP_VERIFY_TOKEN",
        "WHATSAPP_ACCESS_TOKEN",
        "WHATSAPP_PHONE_NUMBER_ID",
    ):
        monkeypatch.delenv(name, raising=False)


def test_secrets_come_from_secrets_manager_once_and_are_cached(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    _without_env_secrets(monkeypatch)
    client = boto3.client("secretsmanager", region_name="eu-south-1")
    values = {"app_secret": "s", "verify_token": "v", "access_token": "tok-9f3e", "phone_number_id": "1"}
    arn = client.create_secret(Name="wa", SecretString=json.dumps(values))["ARN"]
    calls: list[int] = []

    def factory() -> object:
        calls.append(1)
        return client

    provider = SecretsProvider(arn, factory, ttl_seconds=60)
    assert provider.get().access_token == "tok-9f3e"
    assert provider.get().app_secret == "s"
    assert len(calls) == 1
    assert "tok-9f3e" not in repr(provider.get())


def test_a_malformed_secret_is_a_clear_error_that_does_not_echo_it(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    _without_env_secrets(monkeypatch)
    client = boto3.client("secretsmanager", region_name="eu-south-1")
    arn = client.create_secret(Name="wa", SecretString='{"app_secret": "hunter2"}')["ARN"]
    with pytest.raises(ConfigurationError) as error:
        SecretsProvider(arn, lambda: client).get()
    assert "hunter2" not in str(error.value)


def test_without_a_secret_id_or_env_the_error_names_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    _without_env_secrets(monkeypatch)
    with pytest.raises(ConfigurationError, match="WHATSAPP_APP_SECRET"):
        SecretsProvider(None, lambda: None).get()
