"""`RedisStore`: the `Store` interface kept in Redis, so what one replica creates another reads.

A kind of a tenant is a hash (key -> JSON value) beside a sorted set giving creation order (scored by one
counter for the whole store). Each method is one Lua script, or for `update` a WATCH/MULTI transaction
retried when another writer got there first, so each is one atomic step as the interface demands.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Callable
from typing import Any

import redis

from emulator.shared.connection import PREFIX, Connection, tenant_key

_SEQUENCE = PREFIX + "store-sequence"

_PUT = """
if redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) == 1 then
  redis.call('ZADD', KEYS[2], 'NX', redis.call('INCR', KEYS[3]), ARGV[1])
end
return 1
"""
_PUT_NEW = """
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('ZADD', KEYS[2], 'NX', redis.call('INCR', KEYS[3]), ARGV[1])
return 1
"""
_DELETE = """
local old = redis.call('HGET', KEYS[1], ARGV[1])
if not old then return false end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return old
"""
_LIST = """
local keys = redis.call('ZRANGE', KEYS[2], 0, -1)
if #keys == 0 then return {} end
local values = redis.call('HMGET', KEYS[1], unpack(keys))
local out = {}
for i, key in ipairs(keys) do
  if values[i] then
    out[#out + 1] = key
    out[#out + 1] = values[i]
  end
end
return out
"""
_INCREMENT = """
local value = redis.call('HINCRBY', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], 'NX', redis.call('INCR', KEYS[3]), ARGV[1])
return value
"""


def _dump(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def _load(raw: bytes) -> Any:
    return json.loads(raw)


class RedisStore:
    """`Store` over a `Connection`; values go through JSON, so callers always get copies."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._put = connection.script(_PUT)
        self._put_new = connection.script(_PUT_NEW)
        self._delete = connection.script(_DELETE)
        self._list = connection.script(_LIST)
        self._increment = connection.script(_INCREMENT)

    @staticmethod
    def _keys(tenant: str, kind: str) -> tuple[str, str, str]:
        values = f"{PREFIX}s:{tenant_key(tenant)}:{kind}"
        return values, values + "\x00order", _SEQUENCE

    def get(self, tenant: str, kind: str, key: str) -> Any | None:
        values, _, _ = self._keys(tenant, kind)
        raw = self._connection.run(lambda client: client.hget(values, key))
        return None if raw is None else _load(raw)

    def put(self, tenant: str, kind: str, key: str, value: Any) -> None:
        self._put(self._keys(tenant, kind), [key, _dump(value)])

    def put_new(self, tenant: str, kind: str, key: str, value: Any) -> bool:
        return bool(self._put_new(self._keys(tenant, kind), [key, _dump(value)]))

    def delete(self, tenant: str, kind: str, key: str) -> Any | None:
        raw = self._delete(self._keys(tenant, kind), [key])
        return None if raw is None else _load(raw)

    def list(self, tenant: str, kind: str) -> builtins.list[tuple[str, Any]]:
        flat = self._list(self._keys(tenant, kind), [])
        return [(flat[i].decode(), _load(flat[i + 1])) for i in range(0, len(flat), 2)]

    def keys(self, tenant: str, kind: str) -> builtins.list[str]:
        _, order, _ = self._keys(tenant, kind)
        return [key.decode() for key in self._connection.run(lambda client: client.zrange(order, 0, -1))]

    def increment(self, tenant: str, kind: str, key: str, by: int = 1) -> int:
        return int(self._increment(self._keys(tenant, kind), [key, by]))

    def update(self, tenant: str, kind: str, key: str, change: Callable[[Any], Any]) -> Any | None:
        values, _, _ = self._keys(tenant, kind)

        def attempt(client: Any) -> Any | None:
            with client.pipeline(transaction=True) as pipe:
                while True:
                    try:
                        pipe.watch(values)
                        raw = pipe.hget(values, key)
                        if raw is None:
                            return None
                        changed = _dump(change(_load(raw)))  # an exception here writes nothing
                        pipe.multi()
                        pipe.hset(values, key, changed)
                        pipe.execute()
                        return _load(changed)
                    except redis.WatchError:
                        continue  # another writer changed the kind since we read it: read again

        return self._connection.run(attempt)

    def forget(self, tenant: str | None) -> None:
        self._connection.drop_prefix(f"{PREFIX}s:" if tenant is None else f"{PREFIX}s:{tenant_key(tenant)}:")
