/**
 * A Map that holds at most `limit` entries: setting a new key when full evicts the oldest one
 * (insertion order; setting a key again makes it the newest). For per-person caches that must not
 * grow with the number of people ever seen.
 */
export class CappedMap<K, V> extends Map<K, V> {
  constructor(private readonly limit: number) {
    super();
  }

  override set(key: K, value: V): this {
    if (super.has(key)) super.delete(key);
    else if (this.size >= this.limit) super.delete(super.keys().next().value as K);
    return super.set(key, value);
  }
}

/** The bound of the per-person caches: beyond this many people, the least recently written go first. */
export const PER_PERSON_CACHE_LIMIT = 10_000;
