"""The EMF adapter: each count is one line holding one complete, valid embedded-metric-format document."""

from __future__ import annotations

import io
import json
import time
from typing import Any

import pytest

from chalicelib.observability import EmfMetrics, UnsafeDimension
from chalicelib.services.metrics import MetricName, error_code

NOW_MS = 1_764_100_000_123


def _valid_emf(document: dict[str, Any]) -> None:
    """What CloudWatch requires of an EMF document (the parts we use)."""
    metadata = document["_aws"]
    assert isinstance(metadata["Timestamp"], int) and metadata["Timestamp"] > 10**12  # milliseconds
    [directive] = metadata["CloudWatchMetrics"]
    assert isinstance(directive["Namespace"], str) and directive["Namespace"]
    for dimension_set in directive["Dimensions"]:
        assert 1 <= len(dimension_set) <= 30
        for key in dimension_set:  # every dimension names a string member of the root
            assert isinstance(document[key], str), key
    for metric in directive["Metrics"]:
        assert metric["Unit"] == "Count"
        value = document[metric["Name"]]  # every metric names a numeric member of the root
        assert isinstance(value, int | float) and not isinstance(value, bool)


def _lines(stream: io.StringIO) -> list[dict[str, Any]]:
    text = stream.getvalue()
    assert text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


@pytest.fixture
def stream() -> io.StringIO:
    return io.StringIO()


@pytest.fixture
def metrics(stream: io.StringIO) -> EmfMetrics:
    return EmfMetrics(lambda: stream, lambda: NOW_MS)


def test_a_count_is_one_line_of_valid_emf_with_the_service_dimension_only(
    metrics: EmfMetrics, stream: io.StringIO
) -> None:
    metrics.count(MetricName.MESSAGES_RECEIVED, 3)

    [document] = _lines(stream)
    _valid_emf(document)
    assert document == {
        "_aws": {
            "Timestamp": NOW_MS,
            "CloudWatchMetrics": [
                {
                    "Namespace": "Sportello",
                    "Dimensions": [["service"]],
                    "Metrics": [{"Name": "MessagesReceived", "Unit": "Count"}],
                }
            ],
        },
        "service": "sportello",
        "MessagesReceived": 3,
    }


@pytest.mark.parametrize(("code", "expected"), [(131047, "131047"), (None, "unknown")])
def test_a_code_adds_a_second_dimension_set_beside_the_total(
    metrics: EmfMetrics, stream: io.StringIO, code: int | None, expected: str
) -> None:
    metrics.count(MetricName.TEMPLATE_FAILURES, code=error_code(code))

    [document] = _lines(stream)
    _valid_emf(document)
    [directive] = document["_aws"]["CloudWatchMetrics"]
    assert directive["Dimensions"] == [["service"], ["service", "code"]]
    assert directive["Metrics"] == [{"Name": "TemplateFailures", "Unit": "Count"}]
    assert (document["service"], document["code"], document["TemplateFailures"]) == ("sportello", expected, 1)


def test_each_count_is_its_own_line(metrics: EmfMetrics, stream: io.StringIO) -> None:
    for name in MetricName:
        metrics.count(name)

    documents = _lines(stream)
    assert [d["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"] for d in documents] == [
        "MessagesReceived",
        "RepliesSent",
        "DocumentsReceived",
        "TemplateFailures",
        "ReminderSendFailures",
    ]
    for document in documents:
        _valid_emf(document)


@pytest.mark.parametrize(
    "dimensions",
    [
        {"wa_id": "393331234567"},  # not a whitelisted dimension
        {"code": "393331234567 Amina"},  # not a code
        {"code": "+393331234567"},
        {"code": "131047", "phone": "393331234567"},
    ],
)
def test_dimensions_can_carry_nothing_but_an_error_code(
    metrics: EmfMetrics, stream: io.StringIO, dimensions: dict[str, str]
) -> None:
    with pytest.raises(UnsafeDimension):
        metrics.count(MetricName.TEMPLATE_FAILURES, **dimensions)
    assert stream.getvalue() == ""


def test_by_default_the_lines_go_to_stdout_as_it_is_when_written(capsys: pytest.CaptureFixture[str]) -> None:
    before = int(time.time() * 1000)
    EmfMetrics().count(MetricName.REPLIES_SENT)
    after = int(time.time() * 1000)

    [line] = capsys.readouterr().out.splitlines()  # pytest swapped sys.stdout after the module was imported
    document = json.loads(line)
    _valid_emf(document)
    assert before <= document["_aws"]["Timestamp"] <= after  # wall-clock milliseconds
