"""MkDocs hook: links from a page to files outside docs/ (``../README.md``, ``../emulator/app.py``).

On GitHub such relative links work and stay as they are. The site holds only docs/, so here each is
checked against the repository (a missing file is a warning, which ``--strict`` turns into a failure)
and then pointed at the file in the repository when mkdocs.yml sets ``repo_url``, or else written as
the file's repository path in code. Links inside docs/ are left to MkDocs' own validation.
"""

from __future__ import annotations

import logging
import posixpath
import re
from pathlib import Path
from typing import Any

log = logging.getLogger("mkdocs.hooks.outside_links")
LINK = re.compile(r"(?<!!)\[([^\]\n]+)\]\(([^)\s]+)\)")


def on_page_markdown(markdown: str, /, *, page: Any, config: Any, **_: Any) -> str:
    root = Path(config["config_file_path"]).resolve().parent
    docs = Path(config["docs_dir"]).resolve().relative_to(root).as_posix()
    here = posixpath.dirname(posixpath.join(docs, page.file.src_uri))
    repo_url = (config.get("repo_url") or "").rstrip("/")

    def rewrite(match: re.Match[str]) -> str:
        text, target = match.group(1), match.group(2)
        if "://" in target or target.startswith(("#", "/", "mailto:")):
            return match.group(0)
        path, _, anchor = target.partition("#")
        resolved = posixpath.normpath(posixpath.join(here, path))
        if resolved == docs or resolved.startswith(docs + "/"):
            return match.group(0)  # inside docs/: MkDocs checks it
        if resolved.startswith("../") or not (root / resolved).exists():
            log.warning("%s links to %s, which is not in the repository", page.file.src_uri, target)
            return match.group(0)
        if repo_url:
            return f"[{text}]({repo_url}/blob/main/{resolved}{'#' + anchor if anchor else ''})"
        return text if resolved in text else f"{text} (`{resolved}`)"

    return LINK.sub(rewrite, markdown)
