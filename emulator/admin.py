"""The ``/_emulator/`` blueprint: health, scenarios, tenant bindings, reset, the journal and the clock.

JSON in and out; errors are JSON too (``{"error": ..., "message": ...}``), never an HTML page.
"""

from __future__ import annotations

import json
import math
import time
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from emulator import call_detail
from emulator.engine import Engine, ScenarioError
from emulator.export import export, export_name
from emulator.journal import Journal
from emulator.state.unavailable import StateUnavailableError

ADMIN_PREFIX = "/_emulator"

blueprint = Blueprint("admin", __name__, url_prefix=ADMIN_PREFIX)


def _state() -> Any:
    return current_app.extensions["bedrock_emulator"]


def _engine() -> Engine:
    engine: Engine = _state().engine
    return engine


def _journal() -> Journal:
    journal: Journal = _state().journal
    return journal


def _problem(status: int, error: str, message: str) -> tuple[Response, int]:
    return jsonify({"error": error, "message": message}), status


class BadAdminRequestError(Exception):
    """A caller error in an admin request: answered 400 with its message."""


@blueprint.app_errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> tuple[Response, int]:
    # app-wide: routing errors (unknown admin path, wrong method) never reach a blueprint's handler
    return _problem(exc.code or 500, type(exc).__name__, exc.description or "")


@blueprint.errorhandler(BadAdminRequestError)
def _bad_request(exc: BadAdminRequestError) -> tuple[Response, int]:
    return _problem(400, "InvalidRequest", str(exc))


def _json_object() -> dict[str, Any]:
    """The request's JSON body as an object ({} when there is none)."""
    payload = request.get_json(silent=True)
    if payload is None:
        return {}
    if not isinstance(payload, dict):
        raise BadAdminRequestError("the request body must be a JSON object")
    return payload


def _number(name: str, raw: str | None, kind: type[float] | type[int] = float) -> float | None:
    if raw is None or raw == "":
        return None
    try:
        return kind(raw)
    except ValueError:
        raise BadAdminRequestError(f"{name} must be a number, got {raw!r}") from None


@blueprint.errorhandler(ScenarioError)
def _scenario_error(exc: ScenarioError) -> tuple[Response, int]:
    return _problem(400, "InvalidScenario", str(exc))


@blueprint.errorhandler(StateUnavailableError)
def _state_unavailable(exc: StateUnavailableError) -> tuple[Response, int]:
    return _problem(503, "StateUnavailable", str(exc))


@blueprint.get("/health")
def health() -> Response | tuple[Response, int]:
    state = _state()
    # With shared state, a replica that cannot reach Redis says so (503): its load balancer stops sending.
    degraded = state.shared is not None and not state.shared.healthy()
    engine = _engine()
    scenarios = engine.scenarios() if not degraded else Engine.scenarios(engine)  # the last ones seen
    body = jsonify(
        {
            "status": "degraded" if degraded else "ok",
            "version": state.version,
            "uptime_seconds": round(time.monotonic() - state.started, 3),
            "strict": state.settings.strict,
            "scenarios": sorted(s.name for s in scenarios),
            "state": "memory" if state.shared is None else "redis",
        }
    )
    return (body, 503) if degraded else body


@blueprint.get("/scenarios")
def list_scenarios() -> Response:
    return jsonify({"scenarios": [_describe(s) for s in _engine().scenarios()]})


def _describe(scenario: Any) -> dict[str, Any]:
    return {
        "name": scenario.name,
        "description": getattr(scenario, "description", None),
        "rules": [rule.id for rule in getattr(scenario, "rules", [])],
        "source": getattr(scenario, "source", None),
    }


@blueprint.put("/scenarios")
@blueprint.post("/scenarios")
def load_scenario() -> tuple[Response, int]:
    text = request.get_data(as_text=True)
    if not text.strip():
        return _problem(400, "InvalidScenario", "the request body must be a scenario in YAML or JSON")
    name = _engine().load_text(text, source="<admin PUT /_emulator/scenarios>")
    return jsonify({"loaded": name}), 201


@blueprint.delete("/scenarios/<name>")
def delete_scenario(name: str) -> tuple[Response, int]:
    if not _engine().delete(name):
        return _problem(404, "ScenarioNotFound", f"no scenario named {name!r} is loaded")
    return jsonify({"deleted": name}), 200


@blueprint.get("/tenants")
def list_tenants() -> Response:
    """Tenants that have a scenario bound, and the tenants the journal has seen."""
    bindings = _engine().bindings()
    seen = sorted({entry.tenant for entry in _journal().entries()} | set(bindings))
    return jsonify({"tenants": [{"tenant": t, "scenario": bindings.get(t)} for t in seen]})


@blueprint.put("/tenants/<tenant>/scenario")
def bind_scenario(tenant: str) -> Response:
    payload = _json_object()
    name = payload.get("name", payload.get("scenario"))
    if not isinstance(name, str) or not name:
        raise BadAdminRequestError('give the scenario to bind as {"name": "<scenario>"}; DELETE unbinds')
    _engine().bind(tenant, name)
    return jsonify({"tenant": tenant, "scenario": name})


@blueprint.delete("/tenants/<tenant>/scenario")
def unbind_scenario(tenant: str) -> Response:
    _engine().bind(tenant, None)
    return jsonify({"tenant": tenant, "scenario": None})


@blueprint.post("/reset")
def reset() -> Response:
    payload = _json_object()
    tenant = payload.get("tenant") or request.args.get("tenant")
    _state().reset(tenant)
    return jsonify({"reset": tenant or "all"})


@blueprint.get("/requests")
def requests_journal() -> Response:
    limit = _number("limit", request.args.get("limit"), int)
    entries = _journal().entries(
        tenant=request.args.get("tenant"),
        operation=request.args.get("operation"),
        since=_number("since", request.args.get("since")),
        limit=int(limit) if limit else None,
    )
    return jsonify({"requests": [call_detail.summary(e) for e in entries]})


@blueprint.get("/requests/<int:sequence>")
def request_detail(sequence: int) -> Response | tuple[Response, int]:
    """One call in full (bodies, headers, why its rule fired, its frames), while the journal holds it."""
    entry = _journal().find(sequence)
    if entry is None:
        return _problem(404, "RequestNotFound", f"the journal holds no call #{sequence} (any more)")
    return jsonify(call_detail.detail(entry, _engine()))


@blueprint.get("/counters")
def counters() -> Response:
    """Per tenant and scenario: each rule's matched and fired counts; each quota window's use and limits
    (of ``?tenant=``, or of the 100 most recently active tenants)."""
    tenant = request.args.get("tenant")
    rules = [
        {
            "tenant": who,
            "scenario": scenario,
            "state": state.state,
            "rule": rule,
            "matched": matched,
            "fired": state.fired.get(rule, 0),
        }
        for who, scenario, state in _engine().counters(tenant)
        for rule, matched in state.counts.items()
    ]
    quotas = []
    for (who, scenario, rule, model), (rpm, tpm, tpd), limits in _engine().quota_gauges(tenant):
        quotas.append(
            {
                "tenant": who,
                "scenario": scenario,
                "rule": rule,
                "model": model,
                "requests_per_minute": {"used": rpm, "limit": limits.rpm if limits else None},
                "tokens_per_minute": {"used": tpm, "limit": limits.tpm if limits else None},
                "tokens_per_day": {"used": tpd, "limit": limits.tpd if limits else None},
            }
        )
    return jsonify({"rules": rules, "quotas": quotas})


@blueprint.get("/clock")
def clock() -> Response:
    """The virtual clock now, its total advance, and its recent advances (wall time, seconds)."""
    return jsonify(_clock_json())


def _clock_json() -> dict[str, Any]:
    engine_clock = _engine().clock
    advances = [{"time": at, "seconds": seconds} for at, seconds in engine_clock.advances()]
    return {"now": engine_clock.now(), "offset": engine_clock.offset, "advances": advances}


@blueprint.get("/requests/export")
def export_requests() -> Response | tuple[Response, int]:
    """The journal (filtered like ``/requests``) as a scenario that replays the same answers in order;
    with ``format=journal``, as the calls and the clock's advances for ``bedrock-emulator report``."""
    tenant = request.args.get("tenant")
    name = request.args.get("name") or export_name(tenant)
    entries = _journal().entries(
        tenant=tenant,
        operation=request.args.get("operation"),
        since=_number("since", request.args.get("since")),
    )
    kind = request.args.get("format", "scenario")
    if kind == "journal":
        journal = {"requests": [call_detail.summary(e) for e in entries], "clock": _clock_json()}
        filename = "journal" + name.removeprefix("replay")
        return Response(
            json.dumps(journal),
            mimetype="application/json",
            headers={"Content-Disposition": f'attachment; filename="{filename}.json"'},
        )
    if kind != "scenario":
        return _problem(400, "InvalidRequest", f"format is scenario (the default) or journal, got {kind!r}")
    try:
        replay = export(entries, name=name)
    except ValueError as exc:
        return _problem(400, "InvalidRequest", str(exc))
    return Response(
        replay.to_yaml(),
        mimetype="application/yaml",
        headers={"Content-Disposition": f'attachment; filename="{name}.yaml"'},
    )


@blueprint.post("/clock/advance")
def advance_clock() -> Response | tuple[Response, int]:
    payload = _json_object()
    seconds = payload.get("seconds", request.args.get("seconds"))
    try:
        amount = float(str(seconds))
    except (TypeError, ValueError):
        return _problem(400, "InvalidRequest", 'give the number of seconds to advance, e.g. {"seconds": 61}')
    if not math.isfinite(amount) or amount < 0:
        return _problem(400, "InvalidRequest", "the clock only moves forward, by a finite number of seconds")
    _engine().clock.advance(amount)
    return jsonify({"now": _engine().clock.now()})
