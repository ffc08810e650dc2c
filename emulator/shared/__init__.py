"""State shared by replicas through Redis (``serve --state redis://HOST:PORT/DB``).

With the default ``memory`` state each process keeps its own counters, so N replicas behind a load
balancer give N times the faults. With a Redis URL, every piece of mutable state lives in one Redis:
scenario counts and states, quota windows and the virtual clock (`engine.SharedEngine`), tenant bindings
and the scenarios loaded at run time, the per-tenant request counters that request ids derive from
(`engine.SharedEngine.begin_call`), the journal (`journal.SharedJournal`) and everything handlers keep
through ``call.state.store`` (`store.RedisStore`). Each decision that reads and changes state is one Lua script,
so it is one atomic step however many replicas and threads race. Nothing here is imported unless a Redis
URL is given. docs/replicas.md tells the whole story.
"""

from emulator.shared.backend import SharedBackend, connect

__all__ = ["SharedBackend", "connect"]
