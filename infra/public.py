"""The public entry points in a function of their own, under a role that cannot read what only officers may.

Chalice puts every route in ``APIHandler``. Here ``PublicHandler`` is added: the same code and settings, its own
role (``PublicHandlerRole`` in ``infra/resources.json``), and API Gateway's integrations for the public paths
(``functions/entrypoints.py``) point at it. Each function is told which one it is (``SPORTELLO_FUNCTION``) and
refuses the other's paths (``functions/entry.py``).
"""

from __future__ import annotations

import copy
from typing import Any

from functions.entrypoints import API_FUNCTION, PUBLIC_FUNCTION, is_public


class TemplateShapeChanged(RuntimeError):
    """The template Chalice produced lacks something this step relies on (a Chalice upgrade may have moved it)."""


def _integration_uri(method: dict[str, Any]) -> dict[str, Any] | None:
    integration = method.get("x-amazon-apigateway-integration")
    if not isinstance(integration, dict) or integration.get("type") != "aws_proxy":
        return None  # CORS preflights are mock integrations: no function behind them
    uri = integration.get("uri")
    return uri if isinstance(uri, dict) else None


def split(template: dict[str, Any]) -> None:
    """Add ``PublicHandler`` and route the public paths to it, in place."""
    resources = template["Resources"]
    api = resources.get(API_FUNCTION)
    permission = resources.get(f"{API_FUNCTION}InvokePermission")
    if api is None or permission is None or f"{PUBLIC_FUNCTION}Role" not in resources:
        raise TemplateShapeChanged("APIHandler, its invoke permission and PublicHandlerRole are needed")
    handler = copy.deepcopy(api)
    handler["Properties"]["Role"] = {"Fn::GetAtt": [f"{PUBLIC_FUNCTION}Role", "Arn"]}
    resources[PUBLIC_FUNCTION] = handler
    # Every function knows which one it is: the HTTP ones serve only their paths, the others register no routes.
    for name, resource in resources.items():
        if resource.get("Type") == "AWS::Serverless::Function":
            variables = resource["Properties"].setdefault("Environment", {}).setdefault("Variables", {})
            variables["SPORTELLO_FUNCTION"] = name
    public_permission = copy.deepcopy(permission)
    public_permission["Properties"]["FunctionName"] = {"Ref": PUBLIC_FUNCTION}
    resources[f"{PUBLIC_FUNCTION}InvokePermission"] = public_permission

    routed = 0
    paths = resources["RestAPI"]["Properties"]["DefinitionBody"]["paths"]
    for path, methods in paths.items():
        if not is_public(path):
            continue
        for method in methods.values():
            uri = _integration_uri(method)
            if uri is None:
                continue
            text = uri["Fn::Sub"]
            if f"${{{API_FUNCTION}.Arn}}" not in text:
                raise TemplateShapeChanged(f"the integration of {path} does not name {API_FUNCTION}")
            uri["Fn::Sub"] = text.replace(f"${{{API_FUNCTION}.Arn}}", f"${{{PUBLIC_FUNCTION}.Arn}}")
            routed += 1
    if routed == 0:
        raise TemplateShapeChanged("no public path found in the API definition")
