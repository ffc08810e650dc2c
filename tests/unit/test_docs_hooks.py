"""The documentation site's MkDocs hooks (docs/hooks/): links to files outside docs/ are checked against
the repository and rewritten for the site; ``<details>`` blocks get their Markdown rendered."""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def hook(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"docs_hook_{name}", ROOT / "docs" / "hooks" / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def render(markdown: str, repo_url: str | None = None) -> str:
    config: dict[str, Any] = {
        "config_file_path": str(ROOT / "mkdocs.yml"),
        "docs_dir": str(ROOT / "docs"),
        "repo_url": repo_url,
    }
    page = SimpleNamespace(file=SimpleNamespace(src_uri="agents.md"))
    result: str = hook("outside_links").on_page_markdown(markdown, page=page, config=config, files=None)
    return result


def test_links_inside_docs_and_to_the_web_are_left_alone() -> None:
    text = "See [scenarios](scenarios.md#take), [AWS](https://aws.amazon.com/) and [top](#top)."
    assert render(text) == text


def test_a_link_outside_docs_becomes_the_repository_path() -> None:
    assert render("the [README](../README.md)") == "the README (`README.md`)"
    assert render("[emulator/app.py](../emulator/app.py)") == "emulator/app.py"


def test_with_a_repo_url_it_links_to_the_repository() -> None:
    text = render("the [plugin](../emulator/pytest_plugin.py#L10)", repo_url="https://example.test/org/repo/")
    assert text == "the [plugin](https://example.test/org/repo/blob/main/emulator/pytest_plugin.py#L10)"


def test_a_link_to_a_missing_file_is_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="mkdocs.hooks.outside_links"):
        text = render("[gone](../emulator/no_such_module.py)")
    assert text == "[gone](../emulator/no_such_module.py)"
    assert "agents.md links to ../emulator/no_such_module.py" in caplog.text


def test_details_blocks_render_their_markdown() -> None:
    text = "<details><summary>All</summary>\n\n| a |\n|---|\n</details>"
    assert hook("details").on_page_markdown(text, page=None) == text.replace(
        "<details>", '<details markdown="1">'
    )
