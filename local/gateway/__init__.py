"""A local API gateway for template.yaml: every HttpApi route on 127.0.0.1, each request turned
into an API Gateway HTTP API payload 2.0 event for the handler the template names.

Why: `sam local start-api` needs Docker, which many machines lack. This runs each function in
worker processes of its own instead (`gateway.functions`), with the edges of API Gateway a client
can observe (see `gateway.server`).

    PYTHONPATH=local python -m gateway serve --param ToolkitOrigin=http://localhost:5173
    PYTHONPATH=local python -m gateway refresh

    from gateway import Gateway
    with Gateway(Path("template.yaml"), port=0) as gw:
        gw.add_local_route("GET", "/_local/docs", lambda event: {"statusCode": 200, "body": "..."})
"""

from gateway.events import IncomingRequest, LambdaContext
from gateway.responses import HttpResponse
from gateway.server import MAX_BODY_BYTES, Gateway, LocalHandler
from gateway.template import Template, load_template

__all__ = [
    "MAX_BODY_BYTES",
    "Gateway",
    "HttpResponse",
    "IncomingRequest",
    "LambdaContext",
    "LocalHandler",
    "Template",
    "load_template",
]
