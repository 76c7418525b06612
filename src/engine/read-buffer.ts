/**
 * The one buffer every socket reads ciphertext into (Node's `onread` mode, see
 * `entry/socket-reads.ts`): libuv fills it and calls back one socket at a time, and the connection
 * copies the bytes into OpenSSL before the callback returns. Its address lets the engine hand those
 * bytes to OpenSSL as a number (see `bufferAddress`); it lives as long as the process.
 *
 * @module
 */
import { bufferAddress } from '../ffi/native.js';

/** The shared read buffer. */
export const READ_BUFFER = Buffer.allocUnsafeSlow(64 * 1024);

/** Its address (0 only when OpenSSL is not loaded). */
export const READ_BUFFER_ADDRESS = bufferAddress(READ_BUFFER);
