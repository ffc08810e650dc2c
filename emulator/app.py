"""``create_app(settings)``: the Flask application, wiring only."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version

from flask import Flask

from emulator import admin, generation
from emulator.dataplane import DataPlane
from emulator.engine import Engine
from emulator.journal import Journal
from emulator.library import shipped_scenarios
from emulator.settings import Settings

AWS_METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"]


@dataclass
class EmulatorState:
    settings: Settings
    engine: Engine
    journal: Journal
    dataplane: DataPlane
    started: float
    version: str


def _version() -> str:
    try:
        return version("bedrock-emulator")
    except PackageNotFoundError:
        return "0+unknown"


def create_app(settings: Settings | None = None, *, engine: Engine | None = None) -> Flask:
    settings = settings or Settings()
    engine = engine or Engine(
        seed=settings.seed, default_scenario=settings.default_scenario, strict=settings.strict
    )
    library = shipped_scenarios() if settings.library else None
    if library is not None:
        engine.load_path(library)
    for source in settings.scenario:
        engine.load_path(source)
    journal = Journal(settings.journal_size)
    dataplane = DataPlane(settings, engine, journal)

    app = Flask("bedrock_emulator")
    app.config["JSON_SORT_KEYS"] = False
    app.json.sort_keys = False  # type: ignore[attr-defined]  # DefaultJSONProvider has it
    app.extensions["bedrock_emulator"] = EmulatorState(
        settings, engine, journal, dataplane, time.monotonic(), _version()
    )
    app.register_blueprint(admin.blueprint)
    app.add_url_rule("/", "aws_root", dataplane.view, methods=AWS_METHODS)
    app.add_url_rule("/<path:path>", "aws", dataplane.view, methods=AWS_METHODS)
    # Faker's import is the slowest part of start-up; take it off the first request's path.
    threading.Thread(target=generation.warm_up, name="warm-up", daemon=True).start()
    return app
