/**
 * A small command-line parser: `--flag`, `--name value`, `--name=value`, positionals; unknown flags
 * are usage errors.
 *
 * @module
 */

/** A user mistake on the command line (exit code 2). */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** What a command accepts: flag names mapped to whether they take a value. */
export type FlagSpec = Record<string, 'boolean' | 'string'>;

/** Parsed arguments. */
export interface Parsed {
  flags: Record<string, string | boolean>;
  positionals: string[];
}

/** Parses `argv` against `spec`. */
export function parseArgs(argv: string[], spec: FlagSpec): Parsed {
  const flags: Record<string, string | boolean> = {};
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const kind = spec[name];
    if (!kind) throw new UsageError(`unknown option --${name}`);
    if (kind === 'boolean') {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      flags[name] = true;
    } else {
      const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined || value === '') throw new UsageError(`--${name} needs a value`);
      flags[name] = value;
    }
  }
  return { flags, positionals };
}

/** A string flag, or undefined. */
export function str(p: Parsed, name: string): string | undefined {
  const v = p.flags[name];
  return typeof v === 'string' ? v : undefined;
}
