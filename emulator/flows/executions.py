"""Flow executions per tenant: paused InvokeFlow runs waiting for input, and StartFlowExecution runs.

An asynchronous execution is computed when it starts (runs are deterministic and quick) but reported
``Running`` until somebody first reads it, the way a real execution is still going when the first poll
arrives; StopFlowExecution before that read aborts it. Each tenant sees only its own executions.

A run's record (ids, status, events and a snapshot of the flow it ran) is a value in the app's store
(kind ``flow-execution``); the executor of an InvokeFlow run paused for input is a live object, kept
beside the store in the app's extras until the run is resumed, replaced, evicted or its tenant reset.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from emulator.engine.lru import LruMap
from emulator.flows.definition import parse
from emulator.flows.executor import Event, Execution, Field
from emulator.flows.nodes import Action, Context
from emulator.flows.registry import Flow
from emulator.state import AppState, Store

MAX_EXECUTIONS_PER_TENANT = 1000  # oldest dropped first: a long-running server must not grow forever
KIND: Final = "flow-execution"  # execution id -> the run's record
_EXTRA: Final = "flow-executions"  # AppState.extra name of the live part


@dataclass
class FlowRun:
    execution_id: str
    flow_id: str  # as the caller named it
    alias: str
    arn: str
    flow: Flow
    execution: Execution
    started_at: float
    asynchronous: bool
    status: str = "Running"
    final_status: str = "Running"
    ended_at: float | None = None
    events: list[Event] = field(default_factory=list)
    tenant: str = ""  # set when stored


class _Live:
    """What cannot be a value: executors of paused InvokeFlow runs, and flows parsed from snapshots."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.paused: dict[tuple[str, str], Execution] = {}
        self.flows: LruMap[str, Flow] = LruMap(64)

    def forget(self, tenant: str | None) -> None:
        with self.lock:
            for key in [k for k in self.paused if tenant is None or k[0] == tenant]:
                del self.paused[key]


class ExecutionStore:
    """A view of one app's flow executions."""

    def __init__(self, store: Store, live: _Live) -> None:
        self._store = store
        self._live = live

    def add(self, tenant: str, run: FlowRun) -> None:
        """Keep ``run`` (replacing a run of the same id); a tenant's oldest runs beyond the cap go."""
        run.tenant = tenant
        key = (tenant, run.execution_id)
        with self._live.lock:
            if not run.asynchronous and run.execution.waiting is not None:
                self._live.paused[key] = run.execution
            else:
                self._live.paused.pop(key, None)
        self._store.put(tenant, KIND, run.execution_id, _record(run))
        ids = self._store.keys(tenant, KIND)
        for oldest in ids[: max(0, len(ids) - MAX_EXECUTIONS_PER_TENANT)]:
            self._store.delete(tenant, KIND, oldest)
            with self._live.lock:
                self._live.paused.pop((tenant, oldest), None)

    def find(self, tenant: str, execution_id: str) -> FlowRun | None:
        record = self._store.get(tenant, KIND, execution_id)
        return None if record is None else self._run(tenant, record)

    def listed(self, tenant: str, predicate: Callable[[FlowRun], bool]) -> list[FlowRun]:
        """Newest first."""
        runs = [
            run for _, record in self._store.list(tenant, KIND) if predicate(run := self._run(tenant, record))
        ]
        return sorted(runs, key=lambda run: run.started_at, reverse=True)

    def observe(self, run: FlowRun) -> None:
        """A read of an asynchronous execution: the first one finds it finished."""
        if run.status != "Running" or run.final_status == "Running":
            return
        ended = run.events[-1].timestamp if run.events else time.time()

        def finish(record: dict[str, Any]) -> dict[str, Any]:
            if record["status"] == "Running" and record["finalStatus"] != "Running":
                record["status"], record["endedAt"] = record["finalStatus"], ended
            return record

        updated = self._store.update(run.tenant, KIND, run.execution_id, finish)
        if updated is not None:
            run.status, run.ended_at = updated["status"], updated["endedAt"]

    def stop(self, run: FlowRun) -> None:
        now = time.time()

        def abort(record: dict[str, Any]) -> dict[str, Any]:
            if record["status"] == "Running":
                record["status"] = record["finalStatus"] = "Aborted"
                record["endedAt"] = now
                record["events"] = [e for e in record["events"] if e["kind"] == "flowInput"]
            return record

        updated = self._store.update(run.tenant, KIND, run.execution_id, abort)
        if updated is not None:
            run.status, run.final_status, run.ended_at = (
                updated["status"],
                updated["finalStatus"],
                updated["endedAt"],
            )
            run.events = [_event(e) for e in updated["events"]]

    def _run(self, tenant: str, record: Mapping[str, Any]) -> FlowRun:
        flow = self._flow(record["flow"])
        with self._live.lock:
            execution = self._live.paused.get((tenant, record["executionId"]))
        return FlowRun(
            record["executionId"],
            record["flowId"],
            record["alias"],
            record["arn"],
            flow,
            execution if execution is not None else Execution(flow.definition, Context()),
            record["startedAt"],
            record["asynchronous"],
            record["status"],
            record["finalStatus"],
            record["endedAt"],
            [_event(e) for e in record["events"]],
            tenant,
        )

    def _flow(self, snapshot: Mapping[str, Any]) -> Flow:
        key = json.dumps(snapshot, sort_keys=True)
        with self._live.lock:
            flow = self._live.flows.get(key)
        if flow is None:
            flow = Flow(
                snapshot["id"],
                snapshot["name"],
                snapshot["description"],
                snapshot["executionRoleArn"],
                tuple(snapshot["aliases"]),
                parse(snapshot["definition"]),
                snapshot["createdAt"],
                snapshot["updatedAt"],
            )
            with self._live.lock:
                self._live.flows[key] = flow
        return flow


def store(state: AppState) -> ExecutionStore:
    """The flow executions of the app ``state`` belongs to."""
    return ExecutionStore(state.store, state.extra(_EXTRA, _Live))


# -- records ----------------------------------------------------------------------------------------------


def _record(run: FlowRun) -> dict[str, Any]:
    flow = run.flow
    return {
        "executionId": run.execution_id,
        "flowId": run.flow_id,
        "alias": run.alias,
        "arn": run.arn,
        "flow": {
            "id": flow.flow_id,
            "name": flow.name,
            "description": flow.description,
            "executionRoleArn": flow.execution_role_arn,
            "aliases": list(flow.aliases),
            "definition": flow.definition.wire(),
            "createdAt": flow.created_at,
            "updatedAt": flow.updated_at,
        },
        "startedAt": run.started_at,
        "asynchronous": run.asynchronous,
        "status": run.status,
        "finalStatus": run.final_status,
        "endedAt": run.ended_at,
        "events": [_event_value(e) for e in run.events],
    }


def _event_value(event: Event) -> dict[str, Any]:
    action = event.action
    return {
        "kind": event.kind,
        "node": event.node,
        "nodeType": event.node_type,
        "timestamp": event.timestamp,
        "fields": [
            {
                "name": f.name,
                "value": f.value,
                "type": f.type,
                "source": list(f.source) if f.source is not None else None,
                "next": [list(pair) for pair in f.next],
            }
            for f in event.fields
        ],
        "satisfied": list(event.satisfied),
        "action": None
        if action is None
        else {
            "service": action.service,
            "operation": action.operation,
            "request": action.request,
            "response": action.response,
        },
        "text": event.text,
        "value": event.value,
        "reason": event.reason,
    }


def _event(value: Mapping[str, Any]) -> Event:
    action = value["action"]
    return Event(
        value["kind"],
        value["node"],
        value["nodeType"],
        value["timestamp"],
        tuple(
            Field(
                f["name"],
                f["value"],
                f["type"],
                (f["source"][0], f["source"][1], f["source"][2]) if f["source"] is not None else None,
                tuple((pair[0], pair[1]) for pair in f["next"]),
            )
            for f in value["fields"]
        ),
        tuple(value["satisfied"]),
        None
        if action is None
        else Action(action["service"], action["operation"], action["request"], action["response"]),
        value["text"],
        value["value"],
        value["reason"],
    )
