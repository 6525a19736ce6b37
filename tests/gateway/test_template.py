"""Reading template.yaml: which route API Gateway picks, and the intrinsic functions a local run
can evaluate (and the ones it must leave to CloudFormation)."""

from __future__ import annotations

from pathlib import Path

import pytest
from gateway.template import Route, Template, Unresolvable, match_route, merge_globals

ROUTES = [
    Route("GET", "/pets/dog", "Literal"),
    Route("GET", "/pets/{petId}", "Param"),
    Route("ANY", "/pets/{petId}", "AnyParam"),
    Route("GET", "/pets/{proxy+}", "Greedy"),
    Route("ANY", "$default", "Default"),
]


@pytest.mark.parametrize(
    ("method", "path", "function", "params"),
    [
        ("GET", "/pets/dog", "Literal", {}),
        ("GET", "/pets/cat", "Param", {"petId": "cat"}),
        ("POST", "/pets/cat", "AnyParam", {"petId": "cat"}),
        ("GET", "/pets/cat/toys", "Greedy", {"proxy": "cat/toys"}),
        ("DELETE", "/pets/cat/toys", "Default", {}),
        ("GET", "/", "Default", {}),
    ],
)
def test_the_most_specific_route_wins(method: str, path: str, function: str, params: dict[str, str]) -> None:
    found = match_route(ROUTES, method, path)

    assert found is not None
    route, got = found
    assert (route.function, got) == (function, params)


def test_no_route_and_no_default_is_no_match() -> None:
    assert match_route(ROUTES[:-1], "GET", "/cats") is None
    assert match_route(ROUTES[:-1], "GET", "/pets") is None  # {proxy+} needs at least one segment


def test_greedy_variable_must_be_last() -> None:
    with pytest.raises(ValueError, match="must be the last segment"):
        Route("GET", "/files/{proxy+}/meta", "F")


def test_globals_merge_as_sam_merges_them() -> None:
    merged = merge_globals(
        {"Timeout": 15, "Layers": ["a"], "Environment": {"Variables": {"A": "1", "B": "2"}}},
        {"Timeout": 300, "Layers": ["b"], "Environment": {"Variables": {"B": "own"}}},
    )

    assert merged == {"Timeout": 300, "Layers": ["a", "b"], "Environment": {"Variables": {"A": "1", "B": "own"}}}


TEMPLATE = """\
Parameters:
  Stage: {Type: String, Default: dev}
  Secret: {Type: String}
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
  NotProd: !Not [!Condition IsProd]
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      CorsConfiguration:
        AllowOrigins:
          - !Sub "https://${Stage}.example.com"
          - !If [IsProd, https://www.example.com, !Ref AWS::NoValue]
          - !Ref Secret
          - !GetAtt Site.Url
        AllowMethods: [GET]
        MaxAge: 60
"""


def read(tmp_path: Path, **overrides: str) -> Template:
    (tmp_path / "template.yaml").write_text(TEMPLATE)
    return Template.read(tmp_path / "template.yaml", overrides)


def test_cors_origins_resolve_parameters_conditions_and_leave_out_the_unknowable(tmp_path: Path) -> None:
    dev, prod = read(tmp_path), read(tmp_path, Stage="prod", Secret="http://localhost:5173")

    assert dev.cors["Api"].allow_origins == ("https://dev.example.com",)
    assert prod.cors["Api"].allow_origins == (
        "https://prod.example.com",
        "https://www.example.com",
        "http://localhost:5173",
    )
    assert any("Secret has no default" in w for w in dev.warnings)
    assert any("GetAtt" in w for w in prod.warnings)


def test_resolver_evaluates_sub_join_and_conditions(tmp_path: Path) -> None:
    resolver = read(tmp_path, Stage="prod").resolver

    assert resolver.value({"Sub": "${AWS::Region}/${Stage}/${!Literal}"}) == "us-east-1/prod/${Literal}"
    assert resolver.value({"Sub": ["${A}-${Stage}", {"A": {"Ref": "AWS::AccountId"}}]}) == "123456789012-prod"
    assert resolver.value({"Fn::Join": ["-", ["a", {"Ref": "Stage"}]]}) == "a-prod"
    assert resolver.condition("IsProd") is True and resolver.condition("NotProd") is False
    with pytest.raises(Unresolvable):
        resolver.value({"Sub": "${Api.Arn}"})
