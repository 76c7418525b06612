/**
 * `openssl-ports sha1 FILE…` and `md5 FILE…`: digests like `sha1sum`/`md5sum` (`-` is stdin), with a
 * progress bar on stderr for large files when stderr is a terminal.
 *
 * @module
 */
import { createReadStream, statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { sha1 } from '../../sha1.js';
import { md5 } from '../../md5.js';
import { UsageError } from '../args.js';

/** Files larger than this get a progress bar (when stderr is a terminal); the tests lower it. */
const PROGRESS_MIN = Number(process.env.OPENSSL_PORTS_PROGRESS_MIN || 64 * 1024 * 1024);

/** Counts bytes through an async iterable, drawing a progress bar. */
async function* withProgress(source: AsyncIterable<Buffer>, total: number, name: string): AsyncIterable<Buffer> {
  let done = 0;
  let last = -1;
  for await (const chunk of source) {
    done += chunk.length;
    const pct = Math.floor((done / total) * 100);
    if (pct !== last) {
      last = pct;
      const width = 30;
      const filled = Math.round((pct / 100) * width);
      process.stderr.write(`\r${name} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${pct}%`);
    }
    yield chunk;
  }
  process.stderr.write('\r\x1b[K');
}

/** Runs `sha1`/`md5`; resolves with the exit code (1 when a file could not be read). */
export async function digestCommand(alg: 'sha1' | 'md5', files: string[]): Promise<number> {
  if (files.length === 0) throw new UsageError(`usage: openssl-ports ${alg} FILE… (- for standard input)`);
  const fn = alg === 'sha1' ? sha1 : md5;
  let status = 0;
  for (const file of files) {
    try {
      let input: Readable | AsyncIterable<Buffer>;
      if (file === '-') input = process.stdin;
      else {
        const size = statSync(file).size;
        const stream = createReadStream(file, { highWaterMark: 1 << 20 });
        input = process.stderr.isTTY && size > PROGRESS_MIN ? withProgress(stream, size, file) : stream;
      }
      process.stdout.write(`${await fn(input)}  ${file}\n`);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      process.stderr.write(`openssl-ports: ${file}: ${err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'is a directory' : err.message}\n`);
      status = 1;
    }
  }
  return status;
}
