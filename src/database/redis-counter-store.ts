import Redis from 'ioredis';
import { Clock } from '../common/clock';
import { CounterStore, CounterValue } from './counter-store';

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

/** Counters in Redis (`REDIS_URL`): one atomic script per increment, shared by every instance. */
export class RedisCounterStore extends CounterStore {
  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
    private readonly clock: Clock,
  ) {
    super();
  }

  async increment(key: string, windowSeconds: number): Promise<CounterValue> {
    const [value, expiresAt] = (await this.redis.eval(
      INCREMENT,
      1,
      this.keyPrefix + key,
      String(this.clock.nowMs()),
      String(windowSeconds * 1000),
    )) as [number, number];
    return { value: Number(value), expiresAt: Number(expiresAt) };
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
