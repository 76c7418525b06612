/**
 * The ALPN wire format (length-prefixed protocol names), shared by the contexts' `sslSetServerAlpn`
 * and the connections' `alpn` option.
 *
 * @module
 */
/** The most protocols an ALPN list can hold (each is at least 2 bytes of a 65535-byte list). */
const MAX_ALPN_PROTOCOLS = 32767;

/** Encodes ALPN protocols into the wire format (length-prefixed), validating each. */
export function alpnWire(who: string, protocols: readonly Uint8Array[]): Buffer {
  if (!Array.isArray(protocols)) throw new TypeError(`${who}: alpn must be an array of Buffers`);
  // Each protocol takes at least 2 bytes of the 65535 the wire format allows: check the count before
  // walking the list (a sparse array of length 1e9 would otherwise be walked for half a minute).
  const count = protocols.length;
  if (!Number.isSafeInteger(count) || count > MAX_ALPN_PROTOCOLS) {
    throw new RangeError(`${who}: alpn lists at most ${MAX_ALPN_PROTOCOLS} protocols, got ${count}`);
  }
  const parts: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const p: unknown = protocols[i];
    if (!(p instanceof Uint8Array)) throw new TypeError(`${who}: alpn[${i}] must be a Buffer or Uint8Array`);
    if (p.length < 1 || p.length > 255) throw new RangeError(`${who}: alpn[${i}] must be 1 to 255 bytes long, got ${p.length}`);
    parts.push(Buffer.from([p.length]), Buffer.from(p));
  }
  const wire = Buffer.concat(parts);
  if (wire.length > 65535) throw new RangeError(`${who}: alpn list is too long (${wire.length} bytes, at most 65535)`);
  return wire;
}
