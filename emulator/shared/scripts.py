"""The Lua scripts of the shared engine: each is one atomic step in Redis, whichever replica runs it.

ARGV[1] is always the key prefix (``bedrock-emulator:``) and ARGV[2] the tenant's prefix under it
(``bedrock-emulator:e:<tenant>:``). Times are seconds on the virtual clock: Redis's own TIME plus the
shared offset, so replicas on different machines read one clock. Floats leave Lua as strings (a Lua
number returned to Redis is cut to an integer).
"""

from __future__ import annotations

# Idle tenant keys (rule counts, states, quota windows, request counters) expire after two days: longer
# than the longest window (a day), and the virtual clock only ever runs ahead of real time.
TENANT_TTL_SECONDS = 2 * 86_400

_NOW = """
local function now()
  local t = redis.call('TIME')
  return tonumber(t[1]) + tonumber(t[2]) / 1000000 + tonumber(redis.call('GET', ARGV[1] .. 'clock') or '0')
end
"""

_SELECT = """
local function selection(tenant)
  return redis.call('GET', ARGV[1] .. 'scenario-version') or '0', redis.call('HGET', ARGV[1] .. 'bindings', tenant)
end
"""

# A call's first step. ARGV: prefix, tenant prefix, ttl, tenant
# -> {request number, now, scenario-set version, the tenant's bound scenario or false}
BEGIN = (
    _NOW
    + _SELECT
    + """
local key = ARGV[2] .. 'requests'
local n = redis.call('INCR', key)
redis.call('EXPIRE', key, ARGV[3])
local version, bound = selection(ARGV[4])
return {n, string.format('%.6f', now()), version, bound}
"""
)

# ARGV: prefix, tenant -> {scenario-set version, the tenant's bound scenario or false}
SELECT = (
    _SELECT
    + """
local version, bound = selection(ARGV[2])
return {version, bound}
"""
)

NOW = _NOW + "return string.format('%.6f', now())"

# ARGV: prefix, seconds, wall-clock time, how many advances to keep -> the new offset; the advance is
# remembered (wall-clock time and seconds) for the dashboard's timeline and the run report.
ADVANCE = """
local offset = redis.call('INCRBYFLOAT', ARGV[1] .. 'clock', ARGV[2])
redis.call('RPUSH', ARGV[1] .. 'clock-advances', ARGV[3] .. ' ' .. ARGV[2])
redis.call('LTRIM', ARGV[1] .. 'clock-advances', -tonumber(ARGV[4]), -1)
return offset
"""

# ARGV: prefix, name, digest, scenario JSON -> the scenario's generation (unchanged for identical content)
LOAD = """
local P, name = ARGV[1], ARGV[2]
if redis.call('HGET', P .. 'scenario-digests', name) == ARGV[3] then
  return tonumber(redis.call('HGET', P .. 'scenario-gens', name))
end
redis.call('HSET', P .. 'scenario-texts', name, ARGV[4])
redis.call('HSET', P .. 'scenario-digests', name, ARGV[3])
redis.call('INCR', P .. 'scenario-version')
return redis.call('HINCRBY', P .. 'scenario-gens', name, 1)
"""

# ARGV: prefix, name -> 1 when it was loaded. Its generation moves on, so a racing decision sees it gone.
DELETE = """
local P, name = ARGV[1], ARGV[2]
local found = redis.call('HDEL', P .. 'scenario-texts', name)
redis.call('HDEL', P .. 'scenario-digests', name)
redis.call('HINCRBY', P .. 'scenario-gens', name, 1)
local bindings = redis.call('HGETALL', P .. 'bindings')
for i = 1, #bindings, 2 do
  if bindings[i + 1] == name then redis.call('HDEL', P .. 'bindings', bindings[i]) end
end
redis.call('INCR', P .. 'scenario-version')
return found
"""

# ARGV: prefix, tenant, name -> 1 when bound, 0 when no such scenario is loaded
BIND = """
if redis.call('HEXISTS', ARGV[1] .. 'scenario-digests', ARGV[3]) == 0 then return 0 end
redis.call('HSET', ARGV[1] .. 'bindings', ARGV[2], ARGV[3])
return 1
"""

_QUOTA = """
local function parse(entry)
  local at, tokens, inm, ind = string.match(entry, '^(%S+) (%S+) (%S+) (%S+)$')
  return tonumber(at), tonumber(tokens), inm, ind
end

local function expire(q, t)
  local r, e, tok = q .. ':r', q .. ':e', q .. ':tok'
  while true do
    local first = redis.call('LINDEX', r, 0)
    if first and tonumber(first) <= t - 60 then redis.call('LPOP', r) else break end
  end
  for _, w in ipairs({{'m', 60}, {'d', 86400}}) do
    local list = q .. ':' .. w[1]
    while true do
      local id = redis.call('LINDEX', list, 0)
      if not id then break end
      local entry = redis.call('HGET', e, id)
      if entry then
        local at, tokens, inm, ind = parse(entry)
        if at > t - w[2] then break end
        redis.call('HINCRBY', tok, w[1], -tokens)
        if w[1] == 'm' then inm = '0' else ind = '0' end
        if inm == '0' and ind == '0' then
          redis.call('HDEL', e, id)
        else
          redis.call('HSET', e, id, string.format('%.6f %d %s %s', at, tokens, inm, ind))
        end
      end
      redis.call('LPOP', list)
    end
  end
end

-- '' when admitted (a ticket appended when tokens are limited), else which limit throttled it.
local function admit(q, rpm, tpm, tpd, tokens, tickets, ttl)
  local t = now()
  expire(q, t)
  local r, m, d, e, tok = q .. ':r', q .. ':m', q .. ':d', q .. ':e', q .. ':tok'
  if rpm ~= '' and redis.call('LLEN', r) >= tonumber(rpm) then return 'rpm' end
  local minute = tonumber(redis.call('HGET', tok, 'm') or '0')
  local day = tonumber(redis.call('HGET', tok, 'd') or '0')
  if tpm ~= '' and minute + tokens > tonumber(tpm) then return 'tpm' end
  if tpd ~= '' and day + tokens > tonumber(tpd) then return 'tpd' end
  redis.call('RPUSH', r, string.format('%.6f', t))
  redis.call('EXPIRE', r, ttl)
  if tpm == '' and tpd == '' then return '' end
  local id = redis.call('INCR', ARGV[1] .. 'quota-entry')
  local inm, ind = '0', '0'
  if tpm ~= '' then
    inm = '1'
    redis.call('RPUSH', m, id)
    redis.call('HINCRBY', tok, 'm', tokens)
  end
  if tpd ~= '' then
    ind = '1'
    redis.call('RPUSH', d, id)
    redis.call('HINCRBY', tok, 'd', tokens)
  end
  redis.call('HSET', e, id, string.format('%.6f %d %s %s', t, tokens, inm, ind))
  for _, key in ipairs({m, d, e, tok}) do redis.call('EXPIRE', key, ttl) end
  tickets[#tickets + 1] = q
  tickets[#tickets + 1] = id
  return ''
end
"""

# One call's decision, as Engine._decide makes it under its lock, as a function of its arguments A:
# prefix, tenant prefix, scenario, generation, initial state, model, tokens, first rule to look at,
# resume ('' or the outcome '1'/'0' of that rule's probability draw), its n, ttl; then per matching
# candidate rule eight values: id, required state, take mode, take argument, next state, rpm, tpm, tpd.
# -> {'stale'} | {'draw', index, n, tickets...} | {'fired', index, n, throttled limit, tickets...} |
#    {'idle', 0, 0, '', tickets...}; tickets come in pairs (quota key, entry id).
_DECISION = (
    _NOW
    + _QUOTA
    + """
local function decide(A)
  local P, E, name, gen = A[1], A[2], A[3], A[4]
  if redis.call('HGET', P .. 'scenario-gens', name) ~= gen then return {'stale'} end
  local sk = name .. '#' .. gen
  local rules = E .. 'rules'
  local ttl = tonumber(A[11])
  local state = redis.call('HGET', rules, 's|' .. sk) or A[5]
  local tokens = tonumber(A[7])
  local start, resume = tonumber(A[8]), A[9]
  local tickets = {}
  local count = (#A - 11) / 8
  redis.call('EXPIRE', rules, ttl)
  for i = start, count do
    local b = 11 + (i - 1) * 8
    local id, required, mode, arg, nxt = A[b + 1], A[b + 2], A[b + 3], A[b + 4], A[b + 5]
    if required == '' or state == required then
      local n, taken
      if i == start and resume ~= '' then
        n = tonumber(A[10])
        taken = resume == '1'
      else
        n = redis.call('HINCRBY', rules, 'n|' .. sk .. '|' .. id, 1)
        if mode == '' then taken = true
        elseif mode == 'first' then taken = n <= tonumber(arg)
        elseif mode == 'after' then taken = n > tonumber(arg)
        elseif mode == 'every' then taken = n % tonumber(arg) == 0
        elseif mode == 'nth' then taken = string.find(',' .. arg .. ',', ',' .. n .. ',', 1, true) ~= nil
        else return {'draw', i, n, unpack(tickets)} end
      end
      if taken then
        local throttled = ''
        local limited = A[b + 6] ~= '' or A[b + 7] ~= '' or A[b + 8] ~= ''
        if limited then
          local q = E .. 'q|' .. sk .. '|' .. id .. '|' .. A[6]
          throttled = admit(q, A[b + 6], A[b + 7], A[b + 8], tokens, tickets, ttl)
        end
        if not limited or throttled ~= '' then
          if nxt ~= '' then redis.call('HSET', rules, 's|' .. sk, nxt) end
          redis.call('HINCRBY', rules, 'f|' .. sk .. '|' .. id, 1)
          return {'fired', i, n, throttled, unpack(tickets)}
        end
      end
    end
  end
  return {'idle', 0, 0, '', unpack(tickets)}
end
"""
)

# ARGV: the decision's arguments (above)
DECIDE = _DECISION + "return decide(ARGV)"

# A call's first step and its decision in one: BEGIN, then the decision when the scenario-set version
# and the tenant's binding are still those the replica chose the scenario by.
# ARGV: prefix, tenant prefix, ttl, tenant, binding chosen by ('' for none), version chosen by, then the
# decision's arguments from the scenario on -> {request number, now, version, binding, decision...}
# with the decision {'reselect'} when the choice was made on what has changed since.
BEGIN_DECIDE = (
    _DECISION
    + _SELECT
    + """
local key = ARGV[2] .. 'requests'
local n = redis.call('INCR', key)
redis.call('EXPIRE', key, ARGV[3])
local version, bound = selection(ARGV[4])
local head = {n, string.format('%.6f', now()), version, bound}
if version ~= ARGV[6] or (bound or '') ~= ARGV[5] then
  head[5] = 'reselect'
  return head
end
local A = {ARGV[1], ARGV[2]}
for i = 7, #ARGV do A[#A + 1] = ARGV[i] end
for _, value in ipairs(decide(A)) do head[#head + 1] = value end
return head
"""
)

# ARGV: prefix, a quota window's key -> {requests this minute, tokens this minute, tokens today}, the
# entries gone out of their windows dropped first (as admitting a call would).
GAUGE = (
    _NOW
    + _QUOTA
    + """
local q = ARGV[2]
expire(q, now())
local tok = q .. ':tok'
return {redis.call('LLEN', q .. ':r'), tonumber(redis.call('HGET', tok, 'm') or '0'),
        tonumber(redis.call('HGET', tok, 'd') or '0')}
"""
)

# ARGV: quota key, entry id, tokens used -> replaces the entry's estimate while it is in a window
SETTLE = """
local q = ARGV[1]
local e, tok = q .. ':e', q .. ':tok'
local entry = redis.call('HGET', e, ARGV[2])
if not entry then return 0 end
local at, tokens, inm, ind = string.match(entry, '^(%S+) (%S+) (%S+) (%S+)$')
local delta = tonumber(ARGV[3]) - tonumber(tokens)
redis.call('HSET', e, ARGV[2], string.format('%s %d %s %s', at, tonumber(ARGV[3]), inm, ind))
if inm == '1' then redis.call('HINCRBY', tok, 'm', delta) end
if ind == '1' then redis.call('HINCRBY', tok, 'd', delta) end
return 1
"""
