"""What running Sportello in AWS needs beyond Chalice's template: logs with an end, tracing, alarms, a dashboard.

Every function logs to its own log group, declared here with a retention (``LogRetentionDays``, default 30 days)
rather than the one Lambda would create and keep forever; its role may write only there. Alarms go to one SNS topic
(``AlarmEmail`` subscribes an address). The thresholds are product rules: any message parked in a dead-letter queue,
any Lambda error or throttle, any 5xx is a fault someone must look at; Meta wants the webhook answered within
seconds, so its p99 over 1 s is one too. API Gateway keeps an access log without client IPs (``ACCESS_LOG_FORMAT``).
The security scanner's checks these resources fail on purpose are skipped in their Metadata, with the reason
(``*_SCANNER_DECISIONS``; ``make scan``).
"""

from __future__ import annotations

import json
from typing import Any

from functions.entrypoints import PUBLIC_FUNCTION

NAMESPACE = "Sportello"  # the business metrics' namespace (chalicelib/observability.py)
METRIC_DIMENSIONS = [{"Name": "service", "Value": "sportello"}]
API_STAGE = "api"  # .chalice/config.json api_gateway_stage
RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288]
DEAD_LETTER_QUEUES = ("InboundFailuresQueue", "ReminderDeadLetterQueue")
STREAM_FUNCTION = "ProcessInboundMessages"
INBOUND_AGE_ALARM_MS = 120_000  # an applicant waiting two minutes for the first answer is already an incident
REMINDER_QUEUE_AGE_ALARM_S = 1800
WEBHOOK_P99_ALARM_MS = 1000  # Meta's bar for acknowledging a webhook
# API Gateway's access log: which request, when, which route (the template, e.g. /u/{token}: never the token), the
# answer and how long it took. No client IP, user agent or path parameters: nothing that identifies an applicant.
ACCESS_LOG_FORMAT = json.dumps(
    {
        "requestId": "$context.requestId",
        "time": "$context.requestTime",
        "httpMethod": "$context.httpMethod",
        "resourcePath": "$context.resourcePath",
        "status": "$context.status",
        "responseLatency": "$context.responseLatency",
    },
    separators=(",", ":"),
)

# The security scanner's checks (checkov, `make scan`) that these resources fail on purpose, with the reason. They go
# in each resource's Metadata (checkov.skip), so the scan lists them as skipped, with the reason, and fails on any
# other. The resources of infra/resources.json carry theirs there.
FUNCTION_SCANNER_DECISIONS = {
    "CKV_AWS_116": "No dead-letter queue: it would catch only asynchronous invocations that fail. The API functions "
    "are invoked synchronously by API Gateway; ProcessInboundMessages (stream) and SendReminder (queue) have their "
    "event source's failure destination (InboundFailuresQueue, ReminderDeadLetterQueue); the scheduled functions "
    "are idempotent and redo the work at the next run. The Errors alarm reports any failure.",
    "CKV_AWS_117": "Not in a VPC: the functions reach only AWS APIs and Meta's Graph API, no private network; a VPC "
    "would need a NAT gateway or endpoints (cost, another thing to run) and adds no control IAM does not give.",
    "CKV_AWS_115": "No reserved concurrency: API Gateway's throttling (MethodSettings) bounds the API functions, the "
    "stream's shards ProcessInboundMessages, the queue's event source SendReminder, the schedules the others. "
    "Reserving would take capacity from the account's pool and fails to deploy in accounts at the default quota.",
    "CKV_AWS_173": "The environment holds resource names, URLs and settings (log level, Graph API version), no "
    "secret (those are in Secrets Manager, read at run time); Lambda encrypts it at rest with its AWS managed key.",
}
LOG_GROUP_SCANNER_DECISIONS = {
    "CKV_AWS_158": "Encrypted at rest by CloudWatch Logs' own keys; no customer managed key, because the logs hold no "
    "personal data by design: the app's logger writes only whitelisted fields (chalicelib/observability.py) and "
    "the API's access log has no IP, user agent or path parameter (ACCESS_LOG_FORMAT).",
}
ALARM_TOPIC_SCANNER_DECISIONS = {
    "CKV_AWS_26": "Not encrypted with KMS: CloudWatch alarms cannot publish to a topic under the AWS managed key "
    "alias/aws/sns, and alarm messages carry alarm names, metrics and thresholds, no personal data.",
}
API_SCANNER_DECISIONS = {
    "CKV_AWS_120": "No API cache: the officers' API answers per user and token, the webhook and uploads are POSTs, "
    "and a shared cache could serve one caller's personal data to another; the public /info pages send Cache-Control "
    "and ETag for browsers. A cache would also bill by the hour.",
}

PARAMETERS: dict[str, Any] = {
    "LogRetentionDays": {
        "Type": "Number",
        "Default": 30,
        "AllowedValues": RETENTION_DAYS,
        "Description": "Days CloudWatch keeps each function's logs (they hold no personal data, but ids and times).",
    },
    "AlarmEmail": {
        "Type": "String",
        "Default": "",
        "AllowedPattern": r"^$|^[^@\s]+@[^@\s]+$",
        "Description": "An address subscribed to the alarms' topic (confirm the e-mail AWS sends); empty for none.",
    },
}


def _skip(resource: dict[str, Any], decisions: dict[str, str]) -> None:
    """Record on ``resource`` the scanner's checks it fails on purpose (``Metadata.checkov.skip``), with the reason."""
    skips = resource.setdefault("Metadata", {}).setdefault("checkov", {}).setdefault("skip", [])
    known = {entry.get("id") for entry in skips}
    skips.extend({"id": check, "comment": reason} for check, reason in decisions.items() if check not in known)


def functions(template: dict[str, Any]) -> list[str]:
    """The logical ids of the template's Lambda functions, sorted."""
    return sorted(
        name for name, body in template["Resources"].items() if body.get("Type") == "AWS::Serverless::Function"
    )


def _role_of(template: dict[str, Any], function: str) -> dict[str, Any]:
    role = template["Resources"][function]["Properties"]["Role"]["Fn::GetAtt"][0]
    body: dict[str, Any] = template["Resources"][role]
    return body


def _is_logs_statement(statement: dict[str, Any]) -> bool:
    actions = statement.get("Action", [])
    actions = [actions] if isinstance(actions, str) else actions
    return bool(actions) and all(str(action).startswith("logs:") for action in actions)


def _logs_and_tracing(template: dict[str, Any], function: str) -> None:
    """A log group with retention, the function logging there, its role writing only there; X-Ray tracing."""
    resources = template["Resources"]
    group = f"{function}LogGroup"
    resources[group] = {
        "Type": "AWS::Logs::LogGroup",
        "DeletionPolicy": "Delete",
        "UpdateReplacePolicy": "Delete",
        "Properties": {
            "LogGroupName": {"Fn::Sub": f"/aws/lambda/${{AWS::StackName}}-{function}"},
            "RetentionInDays": {"Ref": "LogRetentionDays"},
        },
    }
    _skip(resources[group], LOG_GROUP_SCANNER_DECISIONS)
    properties = resources[function]["Properties"]
    properties["LoggingConfig"] = {"LogGroup": {"Ref": group}, "LogFormat": "Text"}
    properties["Tracing"] = "Active"
    for policy in _role_of(template, function)["Properties"].get("Policies", []):
        document = policy["PolicyDocument"]
        kept = [s for s in document["Statement"] if not _is_logs_statement(s)]
        document["Statement"] = [
            {
                "Sid": "Logs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": {"Fn::GetAtt": [group, "Arn"]},
            },
            # X-Ray has no resource-level permissions: "*" is the only resource these actions take.
            {
                "Sid": "Tracing",
                "Effect": "Allow",
                "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
                "Resource": "*",
            },
            *kept,
        ]
        break


def _alarm(description: str, metric: dict[str, Any], threshold: float, **extra: Any) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "AlarmDescription": description,
        "ActionsEnabled": True,
        "AlarmActions": [{"Ref": "AlarmTopic"}],
        "OKActions": [{"Ref": "AlarmTopic"}],
        "ComparisonOperator": "GreaterThanThreshold",
        "Threshold": threshold,
        "EvaluationPeriods": 1,
        "Period": 300,
        "TreatMissingData": "notBreaching",
        **metric,
        **extra,
    }
    return {"Type": "AWS::CloudWatch::Alarm", "Properties": properties}


def _metric(namespace: str, name: str, dimensions: list[dict[str, Any]], statistic: str) -> dict[str, Any]:
    chosen = {"ExtendedStatistic": statistic} if statistic.startswith("p") else {"Statistic": statistic}
    return {"Namespace": namespace, "MetricName": name, "Dimensions": dimensions, **chosen}


def _api_dimensions(**more: str) -> list[dict[str, Any]]:
    dimensions: list[dict[str, Any]] = [
        {"Name": "ApiName", "Value": {"Ref": "AWS::StackName"}},
        {"Name": "Stage", "Value": API_STAGE},
    ]
    return dimensions + [{"Name": key, "Value": value} for key, value in more.items()]


def alarms(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every alarm, by logical id."""
    found: dict[str, dict[str, Any]] = {}
    for queue in DEAD_LETTER_QUEUES:
        dimensions = [{"Name": "QueueName", "Value": {"Fn::GetAtt": [queue, "QueueName"]}}]
        found[f"{queue}NotEmptyAlarm"] = _alarm(
            f"Messages parked in {queue}: look at them and replay (README, operations).",
            _metric("AWS/SQS", "ApproximateNumberOfMessagesVisible", dimensions, "Maximum"),
            0,
        )
    found["InboundBacklogAlarm"] = _alarm(
        "The oldest inbound WhatsApp message not yet processed is over two minutes old.",
        _metric("AWS/Lambda", "IteratorAge", [{"Name": "FunctionName", "Value": {"Ref": STREAM_FUNCTION}}], "Maximum"),
        INBOUND_AGE_ALARM_MS,
        Period=60,
    )
    found["ReminderBacklogAlarm"] = _alarm(
        "A reminder job has waited over 30 minutes in its queue.",
        _metric(
            "AWS/SQS",
            "ApproximateAgeOfOldestMessage",
            [{"Name": "QueueName", "Value": {"Fn::GetAtt": ["ReminderQueue", "QueueName"]}}],
            "Maximum",
        ),
        REMINDER_QUEUE_AGE_ALARM_S,
    )
    for function in functions(template):
        dimensions = [{"Name": "FunctionName", "Value": {"Ref": function}}]
        for metric in ("Errors", "Throttles"):
            found[f"{function}{metric}Alarm"] = _alarm(
                f"{function}: Lambda {metric.lower()} in the last 5 minutes.",
                _metric("AWS/Lambda", metric, dimensions, "Sum"),
                0,
            )
    found["Api5xxAlarm"] = _alarm(
        "The API answered with a 5xx: the app never should.",
        _metric("AWS/ApiGateway", "5XXError", _api_dimensions(), "Sum"),
        0,
    )
    found["WebhookLatencyAlarm"] = _alarm(
        "POST /webhook p99 latency over 1 s (Meta's bar) in 2 of the last 3 periods of 5 minutes.",
        _metric("AWS/ApiGateway", "Latency", _api_dimensions(Resource="/webhook", Method="POST"), "p99"),
        WEBHOOK_P99_ALARM_MS,
        EvaluationPeriods=3,
        DatapointsToAlarm=2,
    )
    found["ReminderSendFailuresAlarm"] = _alarm(
        "Reminders that Meta refused (the dashboard shows them by Meta's error code).",
        _metric(NAMESPACE, "ReminderSendFailures", METRIC_DIMENSIONS, "Sum"),
        0,
        Period=900,
    )
    found["TemplateFailuresAlarm"] = _alarm(
        "Template messages that failed (e.g. a template paused or rejected by Meta): by code on the dashboard.",
        _metric(NAMESPACE, "TemplateFailures", METRIC_DIMENSIONS, "Sum"),
        0,
        Period=900,
    )
    return found


def _widget(title: str, metrics: list[list[Any]], *, stat: str = "Sum", y: int, x: int) -> dict[str, Any]:
    return {
        "type": "metric",
        "x": x,
        "y": y,
        "width": 12,
        "height": 6,
        "properties": {
            "title": title,
            "region": "${AWS::Region}",
            "stat": stat,
            "period": 300,
            "view": "timeSeries",
            "metrics": metrics,
        },
    }


def dashboard(template: dict[str, Any]) -> dict[str, Any]:
    """One CloudWatch dashboard: traffic, faults, backlogs and the business counts, by function where it matters."""
    names = functions(template)
    api = ["ApiName", "${AWS::StackName}", "Stage", API_STAGE]
    business = ["MessagesReceived", "RepliesSent", "DocumentsReceived"]
    by_code = (
        "SEARCH('{" + NAMESPACE + ",code,service} MetricName=\"{name}\"', 'Sum', 300)"
    )  # one line per Meta error code
    widgets = [
        _widget(
            "Business: messages, replies, documents",
            [[NAMESPACE, m, "service", "sportello"] for m in business],
            y=0,
            x=0,
        ),
        _widget(
            "Failures by Meta code",
            [
                [{"expression": by_code.replace("{name}", name), "id": f"e{i}", "label": name}]
                for i, name in enumerate(("TemplateFailures", "ReminderSendFailures"))
            ],
            y=0,
            x=12,
        ),
        _widget("Lambda errors", [["AWS/Lambda", "Errors", "FunctionName", f"${{{n}}}"] for n in names], y=6, x=0),
        _widget(
            "Lambda throttles", [["AWS/Lambda", "Throttles", "FunctionName", f"${{{n}}}"] for n in names], y=6, x=12
        ),
        _widget("API 4xx and 5xx", [["AWS/ApiGateway", m, *api] for m in ("4XXError", "5XXError")], y=12, x=0),
        _widget(
            "Webhook latency (p50, p99)",
            [
                ["AWS/ApiGateway", "Latency", *api, "Resource", "/webhook", "Method", "POST", {"stat": s}]
                for s in ("p50", "p99")
            ],
            stat="p99",
            y=12,
            x=12,
        ),
        _widget(
            "Backlogs: inbound iterator age (ms), parked messages",
            [["AWS/Lambda", "IteratorAge", "FunctionName", f"${{{STREAM_FUNCTION}}}", {"stat": "Maximum"}]]
            + [
                [
                    "AWS/SQS",
                    "ApproximateNumberOfMessagesVisible",
                    "QueueName",
                    f"${{{q}.QueueName}}",
                    {"stat": "Maximum"},
                ]
                for q in DEAD_LETTER_QUEUES
            ],
            stat="Maximum",
            y=18,
            x=0,
        ),
        _widget(
            "Lambda duration p99 (ms)",
            [["AWS/Lambda", "Duration", "FunctionName", f"${{{n}}}"] for n in names],
            stat="p99",
            y=18,
            x=12,
        ),
    ]
    return {
        "Type": "AWS::CloudWatch::Dashboard",
        "Properties": {
            "DashboardName": {"Fn::Sub": "${AWS::StackName}"},
            "DashboardBody": {"Fn::Sub": json.dumps({"widgets": widgets})},
        },
    }


def _api_gateway(template: dict[str, Any]) -> None:
    """Name the API after the stack (the alarms' dimension), trace it, log its requests (ACCESS_LOG_FORMAT) and keep
    per-method metrics for the webhook.

    API Gateway writes logs only through the role set in its account settings (``AWS::ApiGateway::Account``, one per
    account and region: one stack per account, README); both are retained with the stack, as other APIs may use them.
    """
    resources = template["Resources"]
    resources["ApiAccessLogGroup"] = {
        "Type": "AWS::Logs::LogGroup",
        "DeletionPolicy": "Delete",
        "UpdateReplacePolicy": "Delete",
        "Properties": {
            "LogGroupName": {"Fn::Sub": "/aws/apigateway/${AWS::StackName}-access"},
            "RetentionInDays": {"Ref": "LogRetentionDays"},
        },
    }
    _skip(resources["ApiAccessLogGroup"], LOG_GROUP_SCANNER_DECISIONS)
    resources["ApiGatewayLogsRole"] = {
        "Type": "AWS::IAM::Role",
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": {
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "apigateway.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            },
            "ManagedPolicyArns": [
                {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"}
            ],
        },
    }
    resources["ApiGatewayAccount"] = {
        "Type": "AWS::ApiGateway::Account",
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": {"CloudWatchRoleArn": {"Fn::GetAtt": ["ApiGatewayLogsRole", "Arn"]}},
    }
    api = resources["RestAPI"]
    depends = api.get("DependsOn", [])
    api["DependsOn"] = sorted({*([depends] if isinstance(depends, str) else depends), "ApiGatewayAccount"})
    _skip(api, API_SCANNER_DECISIONS)
    properties = api["Properties"]
    properties["Name"] = {"Ref": "AWS::StackName"}
    properties["TracingEnabled"] = True
    properties["AccessLogSetting"] = {
        "DestinationArn": {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]},
        "Format": ACCESS_LOG_FORMAT,
    }
    settings = properties.setdefault("MethodSettings", [])
    default: dict[str, Any] = next(
        (s for s in settings if s.get("ResourcePath") == "/*" and s.get("HttpMethod") == "*"), {}
    )
    settings.append(
        {
            "HttpMethod": "POST",
            "ResourcePath": "/~1webhook",
            "MetricsEnabled": True,  # the per-method Latency the webhook alarm reads
            **{k: v for k, v in default.items() if k.startswith("Throttling")},
        }
    )


def add(template: dict[str, Any], stage: str) -> None:
    """Logs, tracing, alarms, topic and dashboard into ``template``, in place."""
    template.setdefault("Parameters", {}).update(PARAMETERS)
    template.setdefault("Conditions", {})["HasAlarmEmail"] = {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmEmail"}, ""]}]}
    resources = template["Resources"]
    for function in functions(template):
        _logs_and_tracing(template, function)
        _skip(resources[function], FUNCTION_SCANNER_DECISIONS)
        tags = resources[function]["Properties"].setdefault("Tags", {})
        tags["sportello:stage"] = stage
        tags["sportello:entry"] = "public" if function == PUBLIC_FUNCTION else "private"
    _api_gateway(template)
    resources["AlarmTopic"] = {
        "Type": "AWS::SNS::Topic",
        "Properties": {"TopicName": {"Fn::Sub": "${AWS::StackName}-alarms"}},
    }
    _skip(resources["AlarmTopic"], ALARM_TOPIC_SCANNER_DECISIONS)
    resources["AlarmEmailSubscription"] = {
        "Type": "AWS::SNS::Subscription",
        "Condition": "HasAlarmEmail",
        "Properties": {"TopicArn": {"Ref": "AlarmTopic"}, "Protocol": "email", "Endpoint": {"Ref": "AlarmEmail"}},
    }
    resources.update(alarms(template))
    resources["Dashboard"] = dashboard(template)
    template.setdefault("Outputs", {})["AlarmTopicArn"] = {"Value": {"Ref": "AlarmTopic"}}
