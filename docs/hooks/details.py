"""MkDocs hook: Markdown inside ``<details>`` blocks (the generated coverage table) is rendered as
GitHub renders it. Python-Markdown leaves raw HTML blocks alone unless they carry ``markdown="1"``
(the md_in_html extension), so the attribute is added on the site only."""

from __future__ import annotations

from typing import Any


def on_page_markdown(markdown: str, /, **_: Any) -> str:
    return markdown.replace("<details>", '<details markdown="1">')
