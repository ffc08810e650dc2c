"""How ``BEDROCK_EMULATOR_*`` values are read: lists, booleans, levels, and errors naming their source."""

from __future__ import annotations

import pytest

from emulator.config_error import ConfigError
from emulator.settings import Settings


@pytest.mark.parametrize(
    ("raw", "expected"), [("1", True), ("yes", True), ("ON", True), ("0", False), ("off", False)]
)
def test_boolean_variables_read_the_usual_spellings(raw: str, expected: bool) -> None:
    assert Settings.from_sources({}, {"BEDROCK_EMULATOR_STRICT": raw}).strict is expected


def test_allowed_hosts_split_on_commas_only_so_ports_survive() -> None:
    settings = Settings.from_sources(
        {}, {"BEDROCK_EMULATOR_ALLOWED_HOST": "bedrock, ci-runner:9000,[::1]:8484"}
    )

    assert settings.allowed_host == ("bedrock", "ci-runner:9000", "[::1]:8484")


def test_log_level_is_read_in_any_case_and_defaults_to_info() -> None:
    assert Settings.from_sources({}, {}).log_level == "INFO"
    assert Settings.from_sources({}, {"BEDROCK_EMULATOR_LOG_LEVEL": "debug"}).log_level == "DEBUG"


def test_a_flag_wins_and_its_error_names_the_flag() -> None:
    with pytest.raises(ConfigError) as raised:
        Settings.from_sources({"port": 70000}, {"BEDROCK_EMULATOR_PORT": "8484"})

    assert str(raised.value) == "--port: expected an integer 0-65535, got '70000'"


def test_every_bad_value_gets_its_own_line() -> None:
    with pytest.raises(ConfigError) as raised:
        Settings.from_sources({}, {"BEDROCK_EMULATOR_PORT": "abc", "BEDROCK_EMULATOR_SEED": "x"})

    assert str(raised.value).splitlines() == [
        "BEDROCK_EMULATOR_PORT: expected an integer 0-65535, got 'abc'",
        "BEDROCK_EMULATOR_SEED: expected an integer, got 'x'",
    ]
