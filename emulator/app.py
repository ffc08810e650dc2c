"""``create_app(settings)``: the Flask application, wiring only."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import Flask

from emulator import admin, dashboard, definitions, generation
from emulator.admin_guard import AdminGuard
from emulator.dataplane import DataPlane
from emulator.engine import Engine
from emulator.journal import Journal
from emulator.library import shipped_scenarios
from emulator.s3.dispatch import S3Dispatcher
from emulator.services import handlers
from emulator.settings import Settings
from emulator.state import AppState

if TYPE_CHECKING:
    from emulator.shared import SharedBackend


class _Dispatcher:
    """``/_emulator/...`` to Flask (the admin API, behind its `AdminGuard`), requests signed for S3 to the
    S3 it serves (``emulator/s3/dispatch.py``), everything else to the data plane, which checks no Host or
    Origin (see ``emulator/admin_guard.py``)."""

    def __init__(
        self, admin_app: Callable[..., Any], dataplane: Callable[..., Any], s3: S3Dispatcher | None = None
    ) -> None:
        self.admin_app = admin_app
        self.dataplane = dataplane
        self.s3 = s3

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if environ.get("PATH_INFO", "").startswith(admin.ADMIN_PREFIX + "/"):
            return self.admin_app(environ, start_response)
        if self.s3 is not None and self.s3.claims(environ):
            return self.s3(environ, start_response)
        return self.dataplane(environ, start_response)


@dataclass
class EmulatorState:
    settings: Settings
    engine: Engine
    journal: Journal
    dataplane: DataPlane
    started: float
    state: AppState
    # With ``--state redis://...``: the shared backend, asked by the health check whether Redis answers.
    shared: SharedBackend | None = None

    @property
    def version(self) -> str:
        """The installed package's version, read when first asked for (not on the start-up path)."""
        return _version()

    def reset(self, tenant: str | None = None) -> None:
        """Forget a tenant's (or everyone's) counters, quotas, states, journal and everything the app's
        state keeps for it: created resources, async invocations, flow executions, agent conversations,
        memory and sessions (``AppState.forget``)."""
        self.engine.reset(tenant)
        self.journal.clear(tenant)
        self.state.forget(tenant)
        if self.shared is not None:
            self.shared.announce_reset(tenant)  # the other replicas forget what they keep in-process


ADMIN_MAX_BODY_BYTES = 16 << 20  # twice the scenario-text bound (emulator/engine/document.py)


@functools.cache
def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("bedrock-emulator")
    except PackageNotFoundError:
        return "0+unknown"


def _configure_definitions(settings: Settings, state: AppState) -> None:
    """Build the app's registry of each kind of definitions its settings give files for (a bad file
    fails here, at start). Other kinds stay unimported: they load with the handlers, beside the server
    starting, and each app builds its own on first use (from the kind's ``BEDROCK_EMULATOR_*``)."""
    for name in definitions.PACKAGES:
        paths: tuple[str, ...] = getattr(settings, name)
        if paths:
            state.definitions.configure(definitions.kind_named(name), paths)


def warm_up() -> None:
    """Load what a first model call needs (its body checks, Faker) ahead of it. ``serve`` runs this in the
    background once it has listened for a moment: run at once, it would compete with the very first
    requests for the interpreter and slow both (a call arriving first just loads what it needs itself)."""
    handlers.warm_up()
    generation.warm_up()


def create_app(settings: Settings | None = None, *, engine: Engine | None = None) -> Flask:
    settings = settings or Settings()
    shared = None
    if settings.state != "memory":
        from emulator.shared import connect  # Redis is imported only when asked for

        shared = connect(settings.state)  # StateUnavailableError when Redis does not answer
        engine = engine or shared.engine(
            seed=settings.seed, default_scenario=settings.default_scenario, strict=settings.strict
        )
    engine = engine or Engine(
        seed=settings.seed, default_scenario=settings.default_scenario, strict=settings.strict
    )
    library = shipped_scenarios() if settings.library else None
    if library is not None:
        engine.load_path(library)
    for source in settings.scenario:
        engine.load_path(source)
    journal = Journal(settings.journal_size) if shared is None else shared.journal(settings.journal_size)
    state = AppState() if shared is None else AppState(store=shared.store())
    if shared is not None:
        shared.listen_for_resets(state.forget_here)
    _configure_definitions(settings, state)
    begin = None
    if shared is not None:
        from emulator.shared.engine import SharedEngine

        begin = engine.begin_call if isinstance(engine, SharedEngine) else None
    dataplane = DataPlane(settings, engine, journal, state, begin=begin)

    app = Flask("bedrock_emulator")
    app.config["JSON_SORT_KEYS"] = False
    # Admin request bodies (scenario texts, bindings) are small: Werkzeug refuses bigger ones with a 413
    # from the Content-Length, or while reading a chunked body, before they are held.
    app.config["MAX_CONTENT_LENGTH"] = ADMIN_MAX_BODY_BYTES
    app.json.sort_keys = False  # type: ignore[attr-defined]  # DefaultJSONProvider has it
    app.extensions["bedrock_emulator"] = EmulatorState(
        settings, engine, journal, dataplane, time.monotonic(), state, shared
    )
    app.register_blueprint(admin.blueprint)
    dashboard.install(app)
    # AWS traffic bypasses Flask's routing and request context (see dataplane.py); the admin API keeps them.
    traffic: Callable[..., Any] = dataplane
    if settings.record and settings.upstream:
        from emulator.recorder import Recorder  # lazy: botocore's session import would slow every start

        traffic = Recorder(settings.record, settings.upstream, name=settings.record_name, journal=journal)
    token = settings.admin_token.get_secret_value() if settings.admin_token is not None else None
    guarded = AdminGuard(app.wsgi_app, allowed_hosts=settings.allowed_host, token=token)
    verify_with = settings.credentials if settings.verify_signatures else None
    s3 = S3Dispatcher(state, settings.s3_endpoint_url, verify_with=verify_with)  # moto loads on first use
    app.wsgi_app = _Dispatcher(guarded, traffic, s3)  # type: ignore[method-assign]
    return app
