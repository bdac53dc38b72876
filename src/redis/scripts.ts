/**
 * Writes a cooldown only when it ends later than the one stored: two processes that learn of the same
 * 429 at nearly the same time, or a short retry-after arriving after a long one, never shorten it.
 * A script, because GET-compare-SET from the client races with the other writers.
 * KEYS[1] the cooldown key; ARGV[1] the value; ARGV[2] its remaining ms. Returns 1 when written.
 */
export const KEEP_LATER_DEADLINE = `local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 or ttl < tonumber(ARGV[2]) then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0`;
