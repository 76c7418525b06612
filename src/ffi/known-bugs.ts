/**
 * Bugs of particular OpenSSL releases that the engine must step around, decided from the loaded
 * library's version number (`OpenSSL_version_num`, laid out `0xMNN00PP0L`).
 *
 * A distribution that backports a fix keeps its old version number (Ubuntu 22.04's patched 3.0.2
 * still says 3.0.2), so a release is only ever taken for fixed by its number, never the other way:
 * the engine then takes the careful path, which costs memory, not safety.
 *
 * @module
 */
import { crypto } from './bindings.js';
import { versionParts } from './library.js';

/** The first fixed patch release of each 3.x line affected by CVE-2024-4741 (3.4 and later were never affected). */
const FREE_BUFFERS_FIXED: ReadonlyMap<number, number> = new Map([
  [0, 14], // 3.0.14
  [1, 6], // 3.1.6
  [2, 2], // 3.2.2
  [3, 1], // 3.3.1
]);

/**
 * Whether `SSL_free_buffers` in OpenSSL `versionNumber` refuses (returns 0) while part of a record is
 * still in use. Before 3.0.14, 3.1.6, 3.2.2 and 3.3.1 it freed the read buffer even when a record's
 * header had arrived without its body (CVE-2024-4741): the peer's next bytes then went into freed
 * memory, a crash the peer can cause by splitting a record.
 *
 * @example
 * ```ts
 * freeBuffersRefusesPartialRecords(0x300000d0); // false: 3.0.13
 * freeBuffersRefusesPartialRecords(0x300000e0); // true: 3.0.14
 * ```
 */
export function freeBuffersRefusesPartialRecords(versionNumber: number): boolean {
  const [major, minor, patch] = versionParts(versionNumber);
  if (major !== 3) return major > 3;
  const fixed = FREE_BUFFERS_FIXED.get(minor);
  return fixed === undefined ? minor > 3 : patch >= fixed;
}

/** {@link freeBuffersRefusesPartialRecords} for the loaded library (false when none is loaded). */
export const loadedFreeBuffersRefusesPartialRecords: boolean = crypto !== null && freeBuffersRefusesPartialRecords(Number(crypto.OpenSSL_version_num()));
