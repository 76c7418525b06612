/**
 * `openssl-ports info`: which OpenSSL is in use and what it offers.
 *
 * @module
 */
import * as o from '../../index.js';
import { digestByOpenssl } from '../../hash/digest.js';

/** Runs `info`; resolves with the exit code. */
export async function infoCommand(): Promise<number> {
  console.log(`ssl available:            ${o.sslAvailable}`);
  if (!o.sslAvailable) {
    console.log(`why not:                  ${o.sslLoadFailReason}`);
    return 1;
  }
  const info = o.opensslInfo()!;
  console.log(`OpenSSL:                  ${info.version}`);
  console.log(`source:                   ${info.source === 'node' ? "Node's embedded OpenSSL" : 'system library'} (${info.file})`);
  console.log(`choose with:              OPENSSL_PORTS_LIB=system|node|auto (now: ${process.env.OPENSSL_PORTS_LIB ?? 'auto'})`);
  console.log(`config directory:         ${info.configDir ?? '(none)'}`);
  console.log(`modules directory:        ${info.modulesDir ?? '(none)'}`);
  console.log(`client protocols:         ${o.supportedClientProtocols().join(' ')}`);
  console.log(`server protocols:         ${o.supportedServerProtocols().join(' ')}`);
  console.log(`default verify sources:   ${o.sslDefaultVerifySources().map((s) => (typeof s === 'string' ? s : `${s[0]}:${s[1]}`)).join(', ') || '(none)'}`);
  console.log(`SHA-1 / MD5 by OpenSSL:   ${digestByOpenssl('SHA1')} / ${digestByOpenssl('MD5')}`);
  return 0;
}
