"""``GET /_emulator/ui``: serve the one-page dashboard (emulator/dashboard.html) under a strict CSP.

The page is static; everything it shows comes from the JSON admin API, fetched by its own script. Each
response gets a fresh nonce, and only the page's own ``<script>`` and ``<style>`` carrying it may run,
so nothing injected through journal or scenario text could execute even if it were ever rendered as
markup (the script only ever sets ``textContent``).
"""

from __future__ import annotations

import secrets
from functools import cache
from importlib.resources import files

from flask import Blueprint, Flask, Response

__all__ = ["UI_PATH", "blueprint", "install"]

UI_PATH = "/_emulator/ui"
NONCE_PLACEHOLDER = "__CSP_NONCE__"
TIMELINE_PLACEHOLDER = "/*__TIMELINE_JS__*/"

blueprint = Blueprint("dashboard", __name__, url_prefix="/_emulator")


@cache
def timeline_script() -> str:
    """The timeline drawing code the dashboard and the run report share (emulator/timeline.js)."""
    return files("emulator").joinpath("timeline.js").read_text(encoding="utf-8")


@cache
def _template() -> str:
    page = files("emulator").joinpath("dashboard.html").read_text(encoding="utf-8")
    return page.replace(TIMELINE_PLACEHOLDER, timeline_script())


def _content_security_policy(nonce: str) -> str:
    # default-src 'none' so that anything not listed (frames, fonts, objects, workers) is refused;
    # connect-src 'self' is all the admin API needs; img-src data: only for the empty inline favicon,
    # which keeps the browser from asking the data plane for /favicon.ico.
    return "; ".join(
        (
            "default-src 'none'",
            f"script-src 'nonce-{nonce}'",
            f"style-src 'nonce-{nonce}'",
            "connect-src 'self'",
            "img-src data:",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        )
    )


@blueprint.get("/ui")
def ui() -> Response:
    nonce = secrets.token_urlsafe(18)
    page = _template().replace(NONCE_PLACEHOLDER, nonce)
    return Response(
        page,
        mimetype="text/html",
        headers={
            "Content-Security-Policy": _content_security_policy(nonce),
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-store",
        },
    )


def install(app: Flask) -> None:
    """Register the dashboard on ``app``; a second call is a no-op (tests may wire it before app.py does)."""
    if blueprint.name not in app.blueprints:
        app.register_blueprint(blueprint)
