"""Seconds of virtual clock each model-resource transition takes (docs/bedrock-model-resources.md): short (ten seconds at most),
so a polling loop ends within seconds of real time, and ``POST /_emulator/clock/advance`` skips them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

DURATIONS: Final[Mapping[str, float]] = {
    "provision": 10.0,  # provisioned model: Creating -> InService
    "update": 5.0,  # provisioned model: Updating -> InService; deployment update
    "validation": 2.0,  # customization job: validating the data
    "data_processing": 2.0,  # customization job: processing the data (after validation)
    "training": 6.0,  # customization job: training (after data processing) -> Completed
    "stop": 3.0,  # customization job: Stopping -> Stopped
    "deployment": 5.0,  # custom model deployment: Creating -> Active
    "custom_model": 5.0,  # CreateCustomModel: Creating -> Active
    "import": 6.0,  # model import job: InProgress -> Completed
    "copy": 5.0,  # model copy job: InProgress -> Completed
    "endpoint": 5.0,  # marketplace endpoint: Creating -> InService
}
