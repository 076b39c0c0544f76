"""The scenario table: unique names, real KMS operations, parameters botocore accepts."""

from __future__ import annotations

import botocore.session
import pytest
from botocore.validate import validate_parameters

from bench.scenarios import BASELINE, BY_NAME, SCENARIOS, Fixture, Scenario
from bench.signing import json_body

KMS = botocore.session.get_session().get_service_model("kms")


def test_names_are_unique_and_the_baseline_is_listed() -> None:
    assert len(BY_NAME) == len(SCENARIOS)
    assert BY_NAME["baseline"] is BASELINE


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_operation_exists_in_the_kms_model(scenario: Scenario) -> None:
    assert scenario.operation in KMS.operation_names


@pytest.mark.parametrize(
    "scenario", [s for s in SCENARIOS if s.setup is None], ids=lambda s: s.name
)
def test_params_validate_against_the_model(scenario: Scenario) -> None:
    params = scenario.params(Fixture())
    validate_parameters(params, KMS.operation_model(scenario.operation).input_shape)


def test_baseline_sends_the_encrypt_32_body() -> None:
    fixture = Fixture(key_id="0" * 36)
    assert len(json_body(BASELINE.params(fixture))) == len(
        json_body(BY_NAME["encrypt-32"].params(fixture))
    )
    assert (
        BASELINE.params(fixture)["Plaintext"] == BY_NAME["encrypt-32"].params(fixture)["Plaintext"]
    )


def test_context_has_two_entries_and_plaintexts_are_stable() -> None:
    fixture = Fixture()
    assert len(fixture.context) == 2
    assert len(fixture.plaintext(4096)) == 4096
    assert fixture.plaintext(32) == fixture.plaintext(32)
