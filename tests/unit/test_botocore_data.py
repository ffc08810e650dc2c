"""botocore's model files read without importing botocore: exactly what botocore's loader gives."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from botocore.loaders import Loader

from emulator.wire import botocore_data

_SERVICES = ("bedrock-runtime", "bedrock-agent-runtime", "bedrock", "bedrock-agent", "s3")


@pytest.mark.parametrize("service", _SERVICES)
@pytest.mark.parametrize("type_name", ["service-2", "paginators-1"])
def test_the_file_is_what_botocores_loader_reads(service: str, type_name: str) -> None:
    assert botocore_data.load(service, type_name) == Loader().load_service_model(service, type_name)


def test_an_unknown_service_has_no_model() -> None:
    assert botocore_data.load("no-such-service") is None


def test_reading_a_model_does_not_import_botocore() -> None:
    code = (
        "import sys\n"
        "from emulator.wire import botocore_data\n"
        "assert botocore_data.load('bedrock-runtime')['metadata']['serviceId'] == 'Bedrock Runtime'\n"
        "print('botocore' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_a_model_in_the_customer_data_path_is_left_to_botocore(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "bedrock-runtime").mkdir()
    monkeypatch.setattr(botocore_data, "_CUSTOMER_DATA_PATH", tmp_path)
    asked: list[tuple[str, str]] = []
    monkeypatch.setattr(
        botocore_data, "_from_botocore", lambda s, t: asked.append((s, t)) or {"from": "botocore"}
    )
    assert botocore_data.load("bedrock-runtime") == {"from": "botocore"}
    assert asked == [("bedrock-runtime", "service-2")]
