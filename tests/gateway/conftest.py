"""Gateways for the tests: one over the real template.yaml (the app's settings from `app_env`),
one over a tiny template whose handlers (echo_handlers.py) report what they received."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from gateway import Gateway

from tests.conftest import AppEnv
from tests.template_yaml import ROOT

TOOLKIT_ORIGIN = "http://localhost:5173"
FRONT_ORIGIN = "https://front.example.com"  # the echo template's parameter default

ECHO_TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Parameters:
  FrontOrigin:
    Type: String
    Default: https://front.example.com
    AllowedPattern: ^https?://[^/\\s]+$
    ConstraintDescription: scheme://host[:port]
  Flavor:
    Type: String
    Default: plain
    AllowedValues: [plain, spicy]
Conditions:
  IsSpicy: !Equals [!Ref Flavor, spicy]
Globals:
  Function:
    Runtime: python3.13
    CodeUri: fn/
    Timeout: 7
    MemorySize: 256
    Environment:
      Variables:
        GATEWAY_TEST_SHARED: shared-value
        GATEWAY_TEST_FLAVOR: !If [IsSpicy, hot, mild]
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      CorsConfiguration:
        AllowOrigins: [!Ref FrontOrigin]
        AllowHeaders: [Authorization, Content-Type]
        AllowMethods: [GET, POST]
        ExposeHeaders: [X-Trace]
        MaxAge: 300
  EchoLogs:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: !Sub /aws/lambda/${AWS::StackName}/echo
  EchoFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: echo.echo
      MemorySize: 1024
      LoggingConfig:
        LogGroup: !Ref EchoLogs
      Environment:
        Variables:
          GATEWAY_TEST_OWN: echo-only
      Events:
        Item: {Type: HttpApi, Properties: {ApiId: !Ref Api, Path: "/items/{itemId}", Method: GET}}
        Files: {Type: HttpApi, Properties: {ApiId: !Ref Api, Path: "/files/{proxy+}", Method: ANY}}
        Post: {Type: HttpApi, Properties: {ApiId: !Ref Api, Path: /echo, Method: post}}
        Plain: {Type: HttpApi, Properties: {ApiId: !Ref Api, Path: /plain, Method: GET}}
  OtherFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: other/
      Handler: echo.echo
      Environment:
        Variables:
          GATEWAY_TEST_LOG_ARN: !GetAtt EchoLogs.Arn
      Events:
        Other: {Type: HttpApi, Properties: {ApiId: !Ref Api, Path: /other, Method: GET}}
  RespondFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: echo.respond
      Events:
        Respond: {Type: HttpApi, Properties: {ApiId: !Ref Api, Path: /respond, Method: POST}}
  BoomFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: echo.boom
      Events:
        Boom: {Type: HttpApi, Properties: {ApiId: !Ref Api, Path: /boom, Method: GET}}
  MissingFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: missing.handler
      Events:
        Missing: {Type: HttpApi, Properties: {ApiId: !Ref Api, Path: /missing, Method: GET}}
  SizeFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: echo.size
      Events:
        Upload: {Type: HttpApi, Properties: {ApiId: !Ref Api, Path: /upload, Method: POST}}
  SlowFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: echo.slow
      Events:
        Slow: {Type: HttpApi, Properties: {ApiId: !Ref Api, Path: /slow, Method: GET}}
  DieFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: echo.die
      Events:
        Die: {Type: HttpApi, Properties: {ApiId: !Ref Api, Path: /die, Method: GET}}
  MeetAFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: echo.meet
      Events:
        Meet: {Type: HttpApi, Properties: {ApiId: !Ref Api, Path: "/meet/{who}", Method: GET}}
  MeetBFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: echo.meet
      Events:
        Meet: {Type: HttpApi, Properties: {ApiId: !Ref Api, Path: "/meet/{who}", Method: POST}}
  TickFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: echo.tick
      Events:
        EveryFiveMinutes:
          Type: Schedule
          Properties:
            Schedule: rate(5 minutes)
  TockFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: echo.tick
      Events:
        Nightly:
          Type: ScheduleV2
          Properties:
            ScheduleExpression: cron(0 3 * * ? *)
            Input: '{"job": "nightly"}'
"""


@dataclass
class EchoApi:
    """The tiny template's folder (template, handlers, and what they recorded)."""

    root: Path

    @property
    def template(self) -> Path:
        return self.root / "template.yaml"

    def calls(self, kind: str | None = None) -> list[dict[str, Any]]:
        path = self.root / "calls.jsonl"
        lines = path.read_text().splitlines() if path.exists() else []
        return [c for c in map(json.loads, lines) if kind is None or c["kind"] == kind]

    def loads(self) -> list[dict[str, Any]]:
        path = self.root / "loads.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@pytest.fixture
def echo_api(tmp_path: Path) -> EchoApi:
    root = tmp_path / "echo-api"
    for folder in ("fn", "other"):
        (root / folder).mkdir(parents=True)
        shutil.copy(Path(__file__).with_name("echo_handlers.py"), root / folder / "echo.py")
    (root / "template.yaml").write_text(ECHO_TEMPLATE)
    return EchoApi(root)


@pytest.fixture
def echo_gateway(echo_api: EchoApi) -> Iterator[Gateway]:
    with Gateway(echo_api.template, port=0) as gateway:
        yield gateway


@pytest.fixture
def echo(echo_gateway: Gateway) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=echo_gateway.url, timeout=10) as client:
        yield client


@pytest.fixture
def api_gateway(app_env: AppEnv) -> Iterator[Gateway]:
    """The real template.yaml, its functions on the app's test settings (SQLite store, GHL sandbox)."""
    with Gateway(ROOT / "template.yaml", port=0, parameters={"ToolkitOrigin": TOOLKIT_ORIGIN}) as gateway:
        yield gateway


@pytest.fixture
def api(api_gateway: Gateway) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=api_gateway.url, timeout=10) as client:
        yield client
