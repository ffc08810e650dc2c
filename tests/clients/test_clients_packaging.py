"""The reference clients install with the project as ``bedrock_emulator_clients``: a wheel built from the
repository holds that package with every module and ``py.typed``, and no top-level ``clients``."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "clients" / "bedrock_emulator_clients"


@pytest.mark.slow
def test_the_wheel_holds_the_clients_package_and_no_generic_name(tmp_path: Path) -> None:
    # Built from a copy: setuptools leaves build/ behind in the tree it builds, and reuses it next time.
    source = tmp_path / "source"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in ("emulator", "clients"):
        shutil.copytree(ROOT / folder, source / folder, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--quiet",
            "--wheel-dir",
            str(tmp_path),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("bedrock_emulator-*.whl")
    names = zipfile.ZipFile(wheel).namelist()

    expected = {
        f"bedrock_emulator_clients/{p.name}" for p in PACKAGE.iterdir() if p.suffix in (".py", ".typed")
    }
    assert expected <= set(names)
    assert "bedrock_emulator_clients/py.typed" in names
    top_level = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert top_level == {"emulator", "bedrock_emulator_clients"}

    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    imported = subprocess.run(
        [sys.executable, "-c", "import bedrock_emulator_clients.fallback as m; print(m.__file__)"],
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert imported.stdout.strip() == str(target / "bedrock_emulator_clients" / "fallback.py")
