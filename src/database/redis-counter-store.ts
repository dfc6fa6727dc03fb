import type Redis from 'ioredis';
import { Clock } from '../common/clock';
import { BudgetClaim, CounterStore, CounterValue } from './counter-store';

// A counter is a hash {v: value, e: window end in epoch ms}. The window end comes from our clock
// (passed in), so every instance and the tests agree on it; the Redis TTL only collects garbage.
const INCREMENT = `
local now = tonumber(ARGV[1])
local ends = tonumber(redis.call('HGET', KEYS[1], 'e') or '0')
if ends <= now then
  ends = now + tonumber(ARGV[2])
  redis.call('HSET', KEYS[1], 'v', 1, 'e', ends)
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) + 60000)
  return {1, ends}
end
return {redis.call('HINCRBY', KEYS[1], 'v', 1), ends}
`;

// Claims a unit only while the value is below ARGV[3]; returns {granted, value, window end}.
const TAKE = `
local now = tonumber(ARGV[1])
local max = tonumber(ARGV[3])
local ends = tonumber(redis.call('HGET', KEYS[1], 'e') or '0')
if ends <= now then
  ends = now + tonumber(ARGV[2])
  if max < 1 then return {0, 0, ends} end
  redis.call('HSET', KEYS[1], 'v', 1, 'e', ends)
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) + 60000)
  return {1, 1, ends}
end
local value = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
if value >= max then return {0, value, ends} end
return {1, redis.call('HINCRBY', KEYS[1], 'v', 1), ends}
`;

// Gives back one unit of every key in KEYS, in one round trip.
const REFUND = `
for _, key in ipairs(KEYS) do
  local ends = tonumber(redis.call('HGET', key, 'e') or '0')
  local value = tonumber(redis.call('HGET', key, 'v') or '0')
  if ends > tonumber(ARGV[1]) and value > 0 then value = redis.call('HINCRBY', key, 'v', -1) end
  if value <= 0 then redis.call('DEL', key) end
end
return 0
`;

/** Counters in Redis (`REDIS_URL`): one atomic script per increment, shared by every instance. */
export class RedisCounterStore extends CounterStore {
  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
    private readonly clock: Clock,
  ) {
    super();
    // Defined scripts run by EVALSHA (loaded once, on the first NOSCRIPT): Redis neither receives
    // nor hashes the script text on every call, as it does for EVAL.
    redis.defineCommand('counterIncrement', { numberOfKeys: 1, lua: INCREMENT });
    redis.defineCommand('counterTake', { numberOfKeys: 1, lua: TAKE });
    redis.defineCommand('counterRefund', { lua: REFUND });
  }

  private run(command: 'counterIncrement' | 'counterTake' | 'counterRefund', ...args: Array<string | number>): Promise<unknown> {
    return (this.redis as unknown as Record<typeof command, (...a: Array<string | number>) => Promise<unknown>>)[command](...args);
  }

  async increment(key: string, windowSeconds: number): Promise<CounterValue> {
    const [value, expiresAt] = (await this.run(
      'counterIncrement',
      this.keyPrefix + key,
      String(this.clock.nowMs()),
      String(windowSeconds * 1000),
    )) as [number, number];
    return { value: Number(value), expiresAt: Number(expiresAt) };
  }

  async take(key: string, max: number, windowSeconds: number): Promise<BudgetClaim> {
    const [granted, value, expiresAt] = (await this.run(
      'counterTake',
      this.keyPrefix + key,
      String(this.clock.nowMs()),
      String(windowSeconds * 1000),
      String(max),
    )) as [number, number, number];
    return { granted: Number(granted) === 1, value: Number(value), expiresAt: Number(expiresAt) };
  }

  async refund(...keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.run('counterRefund', keys.length, ...keys.map((key) => this.keyPrefix + key), String(this.clock.nowMs()));
  }

  async reset(key: string): Promise<void> {
    await this.redis.del(this.keyPrefix + key);
  }

  async get(key: string): Promise<CounterValue> {
    const [value, ends] = await this.redis.hmget(this.keyPrefix + key, 'v', 'e');
    const expiresAt = Number(ends ?? 0);
    return expiresAt > this.clock.nowMs() ? { value: Number(value ?? 0), expiresAt } : { value: 0, expiresAt: 0 };
  }

  async close(): Promise<void> {
    await this.redis.quit();
  }
}
