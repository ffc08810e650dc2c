"""The built image, run by a container engine: collected only when BEDROCK_EMULATOR_TEST_IMAGE names it.

`make image-smoke` (.ci/image, part of `make ci`) builds the image and runs these with the variable set,
CONTAINER_ENGINE (docker or podman) and, for the testcontainers helper, DOCKER_HOST; a plain `pytest`
leaves them out rather than build an image in the middle of the unit suites.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from container_engine import IMAGE

collect_ignore_glob = [] if IMAGE else ["test_*.py"]


@pytest.fixture
def readable_dir(tmp_path: Path) -> Path:
    """A folder any container user can read (pytest's are 0700, the image's user is 10001)."""
    folder = tmp_path / "mounted"
    folder.mkdir()
    for path in (tmp_path, folder):
        path.chmod(0o755)
    return folder
