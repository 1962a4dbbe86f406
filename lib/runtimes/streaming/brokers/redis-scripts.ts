/**
 * Lua scripts of the Redis backend: producing (many XADDs in one command), group membership and
 * partition leases. Each runs atomically on the server; the membership scripts read the server's
 * clock, so consumers on hosts with skewed clocks still agree. Scripts are sent once and then called
 * by their SHA1 (EVALSHA), see {@link RedisScript}.
 */
import { createHash } from 'node:crypto';
import type Redis from 'ioredis';
import { ensureError } from '../../../errors';
import { ENTRY_FIELDS } from './redis-replies';

/** A Lua script called by its SHA1, and loaded on first use (and again after a server restart). */
export class RedisScript {
  readonly sha: string;

  constructor(readonly lua: string) {
    this.sha = createHash('sha1').update(lua).digest('hex');
  }

  async run(redis: Redis, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      // NOSCRIPT: this server has not seen the script yet (or restarted without it): send it whole.
      if (!ensureError(error).message.startsWith('NOSCRIPT')) throw error;
      return redis.eval(this.lua, keys.length, ...keys, ...args);
    }
  }
}

/**
 * Appends entries to partition streams: KEYS are the streams; ARGV[1] is the MAXLEN to trim each to
 * approximately (0: never trim), then one triple per entry: the stream's index in KEYS, the record
 * key and the JSON value. Returns the number of entries added. One command for a whole batch: a
 * pipeline of one XADD per entry cost the client about ten times as much CPU (ioredis builds and
 * parses a command per entry), and being one script it is also written to the AOF as one unit.
 */
export const PRODUCE = new RedisScript(`
local maxlen = tonumber(ARGV[1])
for i = 2, #ARGV, 3 do
  local stream = KEYS[tonumber(ARGV[i])]
  if maxlen > 0 then
    redis.call('XADD', stream, 'MAXLEN', '~', maxlen, '*', '${ENTRY_FIELDS.key}', ARGV[i + 1], '${ENTRY_FIELDS.value}', ARGV[i + 2])
  else
    redis.call('XADD', stream, '*', '${ENTRY_FIELDS.key}', ARGV[i + 1], '${ENTRY_FIELDS.value}', ARGV[i + 2])
  end
end
return (#ARGV - 1) / 3
`);

/**
 * PRODUCE with the entries packed into one argument, ARGV[2]: per entry the stream's index in KEYS,
 * the record key and the JSON value, each ended by a newline (JSON text never holds a raw newline;
 * a key that does would go through PRODUCE). One argument instead of three per entry: the client
 * builds and writes each argument of a command on its own, which cost the Condition Engine more CPU
 * than the JSON of its outputs.
 */
export const PRODUCE_PACKED = new RedisScript(`
local maxlen = tonumber(ARGV[1])
local packed = ARGV[2]
local position = 1
local added = 0
while position <= #packed do
  local indexEnd = string.find(packed, '\\n', position, true)
  local keyEnd = string.find(packed, '\\n', indexEnd + 1, true)
  local valueEnd = string.find(packed, '\\n', keyEnd + 1, true)
  local stream = KEYS[tonumber(string.sub(packed, position, indexEnd - 1))]
  local key = string.sub(packed, indexEnd + 1, keyEnd - 1)
  local value = string.sub(packed, keyEnd + 1, valueEnd - 1)
  if maxlen > 0 then
    redis.call('XADD', stream, 'MAXLEN', '~', maxlen, '*', '${ENTRY_FIELDS.key}', key, '${ENTRY_FIELDS.value}', value)
  else
    redis.call('XADD', stream, '*', '${ENTRY_FIELDS.key}', key, '${ENTRY_FIELDS.value}', value)
  end
  position = valueEnd + 1
  added = added + 1
end
return added
`);

/**
 * Records that ARGV[1] is alive until now + ARGV[2] ms, forgets members whose time ran out, and
 * returns the live members. KEYS[1] is the group's member sorted set (score = expiry, ms).
 */
export const HEARTBEAT = new RedisScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 10)
return redis.call('ZRANGE', KEYS[1], 0, -1)
`);

/**
 * Takes or renews the lease KEYS[1] for consumer ARGV[1] for ARGV[2] ms.
 * Returns 2 when newly taken, 1 when renewed, 0 when another consumer holds it.
 */
export const ACQUIRE_LEASE = new RedisScript(`
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 2
end
return 0
`);

/**
 * A heartbeat from inside a handler in one round trip: records that ARGV[1] is alive for ARGV[2] ms
 * more (KEYS[1] is the member set, as in HEARTBEAT) and renews or retakes, as ACQUIRE_LEASE does, the
 * leases KEYS[2..] of the partitions it holds. A lease another consumer holds now stays theirs.
 */
export const RENEW = new RedisScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 10)
for i = 2, #KEYS do
  local holder = redis.call('GET', KEYS[i])
  if holder == ARGV[1] then
    redis.call('PEXPIRE', KEYS[i], ARGV[2])
  elseif not holder then
    redis.call('SET', KEYS[i], ARGV[1], 'PX', ARGV[2])
  end
end
return 1
`);

/** Deletes the lease KEYS[1] if consumer ARGV[1] holds it. */
export const RELEASE_LEASE = new RedisScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`);

/**
 * XACKs ARGV[3..] on stream KEYS[2] for group ARGV[2], only while consumer ARGV[1] holds the lease
 * KEYS[1]: a consumer that lost its partition (it stalled past the session timeout) must not
 * checkpoint entries the new owner is handling. Returns the count acked, or -1 without the lease.
 */
export const ACK_IF_LEASED = new RedisScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return -1
end
return redis.call('XACK', KEYS[2], ARGV[2], unpack(ARGV, 3))
`);
