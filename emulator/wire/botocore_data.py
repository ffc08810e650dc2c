"""botocore's model files (``service-2``, ``paginators-1``), read without importing botocore.

Importing ``botocore.loaders`` costs about 50 ms (it pulls in urllib3, dateutil and botocore's compat
layer) and a Converse's body check needs bedrock-runtime's model, so that import would sit in front of
the first call. The files are plain JSON (gzipped in recent releases) under the installed package's
``data/<service>/<api-version>/``: this module finds the package with ``importlib.util.find_spec``
(which does not import it), takes the newest API version that has the file, and reads it, as botocore's
``Loader().load_service_model`` does by default.

Whenever the answer could differ from botocore's, it asks botocore itself: a model under
``~/.aws/models`` (the customer data path, searched first) or an ``sdk-extras`` file to merge in.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
from pathlib import Path
from typing import Any

_CUSTOMER_DATA_PATH = Path("~/.aws/models").expanduser()


def load(service: str, type_name: str = "service-2") -> dict[str, Any] | None:
    """The newest API version's ``type_name`` file of a service, or None when botocore has none."""
    if (_CUSTOMER_DATA_PATH / service).is_dir():
        return _from_botocore(service, type_name)
    root = _builtin_data_path()
    if root is None:
        return _from_botocore(service, type_name)
    versions = sorted(
        (entry for entry in _directories(root / service) if _file(entry, type_name) is not None),
        key=lambda entry: entry.name,
    )
    if not versions:
        return None
    latest = versions[-1]
    if _file(latest, f"{type_name}.sdk-extras") is not None:
        return _from_botocore(service, type_name)
    path = _file(latest, type_name)
    assert path is not None
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as handle:
        data: dict[str, Any] = json.loads(handle.read().decode("utf-8"))
    return data


def _builtin_data_path() -> Path | None:
    spec = importlib.util.find_spec("botocore")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _directories(path: Path) -> list[Path]:
    try:
        return [entry for entry in path.iterdir() if entry.is_dir()]
    except OSError:
        return []


def _file(directory: Path, name: str) -> Path | None:
    for suffix in (".json", ".json.gz"):  # botocore's order
        candidate = directory / (name + suffix)
        if candidate.is_file():
            return candidate
    return None


def _from_botocore(service: str, type_name: str) -> dict[str, Any] | None:
    import botocore.exceptions
    import botocore.loaders

    try:
        model: dict[str, Any] = botocore.loaders.Loader().load_service_model(service, type_name)
    except botocore.exceptions.DataNotFoundError:
        return None
    return model
