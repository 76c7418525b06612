/**
 * An `https.Agent` whose connections are openssl-ports TLS connections: keep-alive reuse,
 * `maxSockets`, `timeout` and the rest of `http.Agent` work as usual.
 *
 * @module
 */
import { Agent, type AgentOptions } from 'node:https';
import type { ClientRequestArgs } from 'node:http';
import type { Duplex } from 'node:stream';
import { typeError } from '../assert.js';
import { connectWith, definedOnly, type SslSocketConnectOptions } from './connect.js';
import { ContextCache, refuseUnsupported, type SslTlsOptions } from './tls-options.js';

/**
 * Options of {@link SslAgent}: `https.AgentOptions` (keep-alive, `maxSockets`, `timeout`, …) and the
 * TLS options of {@link SslTlsOptions}.
 *
 * @example
 * ```ts
 * import { SslAgent, type SslAgentOptions } from 'openssl-ports';
 * const options: SslAgentOptions = { keepAlive: true, maxSockets: 4, ca: readFileSync('certs/root-ca.pem') };
 * const agent = new SslAgent(options);
 * ```
 */
export type SslAgentOptions = Omit<AgentOptions, keyof SslTlsOptions> & SslTlsOptions;

/**
 * An `https.Agent` over openssl-ports: give it to `https.request`/`https.get` (or `http.request`
 * with an `https:` URL's options) as `agent`. Requests' own `servername`, `ca`, `rejectUnauthorized`
 * and `ALPNProtocols` are honoured; a request with TLS options this library cannot honour fails
 * with a TypeError naming the option. Idle keep-alive sockets do not keep the process alive.
 *
 * @example
 * ```ts
 * import https from 'node:https';
 * import { SslAgent } from 'openssl-ports';
 * const agent = new SslAgent({ keepAlive: true, maxSockets: 8 });
 * https.get('https://example.com/', { agent }, (res) => res.pipe(process.stdout));
 * ```
 */
export class SslAgent extends Agent {
  readonly #contexts = new ContextCache();

  constructor(options: SslAgentOptions = {}) {
    if (options === null || typeof options !== 'object') throw typeError('SslAgent', 'options', 'an options object', options);
    refuseUnsupported('SslAgent', options as Record<string, unknown>);
    super(options as AgentOptions);
    this.#contexts.get('SslAgent', options); // bad TLS options fail here, not at the first request
  }

  /**
   * Opens one connection for a request (called by `http.Agent`).
   *
   * @example
   * ```ts
   * const socket = agent.createConnection({ host: 'example.com', port: 443, servername: 'example.com' });
   * ```
   */
  override createConnection(options: ClientRequestArgs, callback?: (err: Error | null, stream: Duplex) => void): Duplex {
    void callback; // the socket is returned at once; http.Agent waits for its 'connect'
    const o = definedOnly(options) as SslSocketConnectOptions;
    return connectWith('SslAgent', this.#contexts, o, []);
  }
}
