"""Flow executions per tenant: paused InvokeFlow runs waiting for input, and StartFlowExecution runs.

An asynchronous execution is computed when it starts (runs are deterministic and quick) but reported
``Running`` until somebody first reads it, the way a real execution is still going when the first poll
arrives; StopFlowExecution before that read aborts it. Each tenant sees only its own executions.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from emulator.flows.executor import Event, Execution
from emulator.flows.registry import Flow

MAX_EXECUTIONS_PER_TENANT = 1000  # oldest dropped first: a long-running server must not grow forever


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


class ExecutionStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._runs: dict[str, dict[str, FlowRun]] = {}

    def add(self, tenant: str, run: FlowRun) -> None:
        with self._lock:
            runs = self._runs.setdefault(tenant, {})
            runs[run.execution_id] = run
            while len(runs) > MAX_EXECUTIONS_PER_TENANT:
                del runs[next(iter(runs))]

    def find(self, tenant: str, execution_id: str) -> FlowRun | None:
        with self._lock:
            return self._runs.get(tenant, {}).get(execution_id)

    def listed(self, tenant: str, predicate: Callable[[FlowRun], bool]) -> list[FlowRun]:
        """Newest first."""
        with self._lock:
            runs = [run for run in self._runs.get(tenant, {}).values() if predicate(run)]
        return sorted(runs, key=lambda run: run.started_at, reverse=True)

    def observe(self, run: FlowRun) -> None:
        """A read of an asynchronous execution: the first one finds it finished."""
        with self._lock:
            if run.status == "Running" and run.final_status != "Running":
                run.status = run.final_status
                run.ended_at = run.events[-1].timestamp if run.events else time.time()

    def stop(self, run: FlowRun) -> None:
        with self._lock:
            if run.status == "Running":
                run.status = run.final_status = "Aborted"
                run.ended_at = time.time()
                run.events = [e for e in run.events if e.kind == "flowInput"]

    def forget(self, tenant: str | None) -> None:
        """Drop ``tenant``'s executions (every tenant's when None), for a reset."""
        with self._lock:
            if tenant is None:
                self._runs.clear()
            else:
                self._runs.pop(tenant, None)


_store = ExecutionStore()


def forget(tenant: str | None) -> None:
    _store.forget(tenant)


def store() -> ExecutionStore:
    return _store
