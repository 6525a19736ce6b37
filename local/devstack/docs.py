"""Swagger UI for the local stack: `GET /_local/docs` over docs/openapi.json, with the Swagger UI
assets Powertools ships (inlined, so it works offline), and `GET /_local/openapi.json`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def add_docs_routes(gateway: Any, document: Path, api_url: str) -> None:
    def spec() -> dict[str, Any]:
        doc: dict[str, Any] = json.loads(document.read_text())
        doc["servers"] = [{"url": api_url, "description": "make dev"}]
        return doc

    def openapi(event: dict[str, Any]) -> dict[str, Any]:
        return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps(spec())}

    def swagger(event: dict[str, Any]) -> dict[str, Any]:
        from aws_lambda_powertools.event_handler.openapi import swagger_ui
        from aws_lambda_powertools.event_handler.openapi.swagger_ui.html import generate_swagger_html

        assets = Path(swagger_ui.__file__).parent
        html = generate_swagger_html(
            json.dumps(spec()),
            (assets / "swagger-ui-bundle.min.js").read_text(),
            (assets / "swagger-ui.min.css").read_text(),
            swagger_base_url="",
            oauth2_config=None,
            persist_authorization=True,
        )
        return {"statusCode": 200, "headers": {"content-type": "text/html; charset=utf-8"}, "body": html}

    gateway.add_local_route("GET", "/_local/openapi.json", openapi)
    gateway.add_local_route("GET", "/_local/docs", swagger)
