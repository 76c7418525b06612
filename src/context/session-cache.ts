/**
 * A client context's sessions for resumption: one `SSL_SESSION` per server (name and address), at most
 * {@link SESSION_CACHE_LIMIT} of them, least recently used evicted first, and none kept past its own
 * lifetime (`SSL_SESSION_get_time` + `SSL_SESSION_get_timeout`) or once OpenSSL says it cannot be resumed.
 *
 * Ownership: the cache owns one reference to each session it holds (counted as `SSL_SESSION` in
 * `sslObjectCounts()`) and frees it when it is replaced, evicted, expired, or the cache is cleared.
 *
 * @module
 */
import { native } from '../ffi/native.js';
import { freed } from '../ffi/objects.js';
import type { Ptr } from '../ffi/bindings.js';

/**
 * How many sessions one client context keeps (as Node's https Agent keeps `maxCachedSessions: 100`).
 *
 * @internal
 */
export const SESSION_CACHE_LIMIT = 100;

/** @internal */
export class SessionCache {
  /** Insertion order is recency order: the first entry is the least recently used. */
  readonly #entries = new Map<string, Ptr>();
  readonly #limit: number;

  constructor(limit = SESSION_CACHE_LIMIT) {
    this.#limit = limit;
  }

  /** How many sessions are held. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * The live session for `key` (still owned by the cache: dup it to use it), or 0. An expired or
   * unresumable session is dropped and freed.
   */
  get(key: string): Ptr {
    const s = this.#entries.get(key);
    if (s === undefined) return 0;
    this.#entries.delete(key);
    if (!usable(s)) {
      release(s);
      return 0;
    }
    this.#entries.set(key, s); // most recently used now
    return s;
  }

  /** Takes ownership of `session` (already counted by `created`) under `key`, evicting as needed. */
  set(key: string, session: Ptr): void {
    const old = this.#entries.get(key);
    if (old !== undefined) {
      this.#entries.delete(key);
      release(old);
    }
    this.#entries.set(key, session);
    while (this.#entries.size > this.#limit) {
      const [oldestKey, oldest] = this.#entries.entries().next().value as [string, Ptr];
      this.#entries.delete(oldestKey);
      release(oldest);
    }
  }

  /** Frees every session. */
  clear(): void {
    for (const s of this.#entries.values()) release(s);
    this.#entries.clear();
  }
}

function usable(s: Ptr): boolean {
  const { ssl } = native('SessionCache');
  if (ssl.SSL_SESSION_is_resumable(s) !== 1) return false;
  const expires = ssl.SSL_SESSION_get_time(s) + ssl.SSL_SESSION_get_timeout(s);
  return expires > Date.now() / 1000;
}

function release(s: Ptr): void {
  native('SessionCache').ssl.SSL_SESSION_free(s);
  freed('SSL_SESSION');
}

