"""The local system's moto server keeps DynamoDB's guarantee that a cancelled transaction loses nobody's write."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from devtools.local_env import free_port
from devtools.moto_server import SerialDynamoMotoServer

ROUNDS = 25


@pytest.fixture
def dynamodb() -> Iterator[tuple[Any, str]]:
    """The server, a client of it and a fresh table (moto's state is per process: the name is unique)."""
    server = SerialDynamoMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    client = boto3.client("dynamodb", endpoint_url=f"http://{host}:{port}", region_name="eu-south-1")
    table = f"counters-{uuid.uuid4().hex}"
    client.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    client.put_item(TableName=table, Item={"pk": {"S": "x"}, "v": {"N": "0"}, "a": {"N": "0"}, "b": {"N": "0"}})
    yield client, table
    client.delete_table(TableName=table)
    server.stop()


def _increment(client: Any, table: str, name: str) -> None:
    """``ROUNDS`` version-checked increments of one counter, retrying on conflict (how case saves work)."""
    done = 0
    while done < ROUNDS:
        item = client.get_item(TableName=table, Key={"pk": {"S": "x"}}, ConsistentRead=True)["Item"]
        update = {
            "TableName": table,
            "Key": {"pk": {"S": "x"}},
            "UpdateExpression": f"SET {name} = {name} + :one, v = v + :one",
            "ConditionExpression": "v = :seen",
            "ExpressionAttributeValues": {":one": {"N": "1"}, ":seen": item["v"]},
        }
        # Like a case save: the versioned item and its timeline records, in one transaction.
        records = [
            {"Put": {"TableName": table, "Item": {"pk": {"S": f"{name}#{done}#{i}"}, "data": {"S": "x" * 200}}}}
            for i in range(8)
        ]
        try:
            client.transact_write_items(TransactItems=[{"Update": update}, *records])
            done += 1
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "TransactionCanceledException":
                raise


def test_concurrent_version_checked_transactions_lose_no_committed_write(dynamodb: tuple[Any, str]) -> None:
    client, table = dynamodb
    threads = [threading.Thread(target=_increment, args=(client, table, name)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    item = client.get_item(TableName=table, Key={"pk": {"S": "x"}}, ConsistentRead=True)["Item"]
    assert (item["a"]["N"], item["b"]["N"], item["v"]["N"]) == (str(ROUNDS), str(ROUNDS), str(2 * ROUNDS))
