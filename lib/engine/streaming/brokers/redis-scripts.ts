/**
 * Lua scripts for the Redis backend's group membership and partition leases. Each runs atomically on
 * the server and reads the server's clock, so consumers on hosts with skewed clocks still agree.
 */

/**
 * Records that ARGV[1] is alive until now + ARGV[2] ms, forgets members whose time ran out, and
 * returns the live members. KEYS[1] is the group's member sorted set (score = expiry, ms).
 */
export const HEARTBEAT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 10)
return redis.call('ZRANGE', KEYS[1], 0, -1)
`;

/**
 * Takes or renews the lease KEYS[1] for consumer ARGV[1] for ARGV[2] ms.
 * Returns 2 when newly taken, 1 when renewed, 0 when another consumer holds it.
 */
export const ACQUIRE_LEASE = `
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
`;

/** Deletes the lease KEYS[1] if consumer ARGV[1] holds it. */
export const RELEASE_LEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`;

/**
 * XACKs ARGV[3..] on stream KEYS[2] for group ARGV[2], only while consumer ARGV[1] holds the lease
 * KEYS[1]: a consumer that lost its partition (it stalled past the session timeout) must not
 * checkpoint entries the new owner is handling. Returns the count acked, or -1 without the lease.
 */
export const ACK_IF_LEASED = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return -1
end
return redis.call('XACK', KEYS[2], ARGV[2], unpack(ARGV, 3))
`;
