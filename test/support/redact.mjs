// Removes key material from the text of openssl s_client / s_server output, so that a failing
// assertion that shows the text never prints secrets (Master-Key, PSKs, session PEMs, tickets).
export function redact(text) {
  return String(text)
    .replace(/-----BEGIN SSL SESSION PARAMETERS-----[\s\S]*?-----END SSL SESSION PARAMETERS-----/g, '[session parameters redacted]')
    .replace(/^(\s*(?:Master-Key|Resumption PSK|Session-ID|Session-ID-ctx|PSK identity|PSK|Keying material)\s*:).*$/gm, '$1 [redacted]')
    .replace(/(TLS session ticket:\s*\n)(?:\s*[0-9a-f]{4} - .*\n)+/g, '$1[redacted]\n');
}
