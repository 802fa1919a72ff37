import { describe, expect, it } from 'vitest';
import { clearLocal, invalidate, setInvalidationBroadcast, ttlCache } from './cache.ts';

describe('ttlCache', () => {
  it('loads once while fresh, again after the TTL, and after a clear', async () => {
    let now = 0;
    let loads = 0;
    const cache = ttlCache<number>('test-a', 1000, () => now);
    const load = async () => ++loads;
    expect(await cache.get('k', load)).toBe(1);
    expect(await cache.get('k', load)).toBe(1);
    now = 1001;
    expect(await cache.get('k', load)).toBe(2);
    cache.clear();
    expect(await cache.get('k', load)).toBe(3);
  });

  it('does not remember a failed load', async () => {
    const cache = ttlCache<number>('test-b', 1000);
    await expect(cache.get('k', () => Promise.reject(new Error('database away')))).rejects.toThrow('database away');
    expect(await cache.get('k', async () => 7)).toBe(7);
  });

  it('clears every cache of a name on invalidate, tells the other processes, and clears on their word', async () => {
    const sent: string[] = [];
    setInvalidationBroadcast((name) => sent.push(name));
    try {
      const one = ttlCache<string>('test-c', 60_000);
      const other = ttlCache<string>('test-c', 60_000);
      await one.get('k', async () => 'old');
      await other.get('k', async () => 'old');
      invalidate('test-c');
      expect(sent).toEqual(['test-c']);
      expect(await one.get('k', async () => 'new')).toBe('new');
      expect(await other.get('k', async () => 'new')).toBe('new');
      clearLocal('test-c');
      expect(await one.get('k', async () => 'newer')).toBe('newer');
      expect(sent).toEqual(['test-c']);
    } finally {
      setInvalidationBroadcast(() => undefined);
    }
  });

  it('does not cache with a TTL of 0', async () => {
    let loads = 0;
    const cache = ttlCache<number>('test-d', 0);
    await cache.get('k', async () => ++loads);
    await cache.get('k', async () => ++loads);
    expect(loads).toBe(2);
  });
});
