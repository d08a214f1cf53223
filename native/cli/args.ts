/**
 * A small, strict argument parser for the CLI: `--flag`, `--key value`, `--key=value` and
 * positionals. Unknown options are errors (a typo must not silently change a result).
 */
export class CliUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliUsageError';
  }
}

export interface ParsedArgs {
  positionals: string[];
  flags: Set<string>;
  options: Map<string, string>;
}

export interface ArgSpec {
  boolean: readonly string[];
  string: readonly string[];
}

export function parseArgs(argv: readonly string[], spec: ArgSpec): ParsedArgs {
  const parsed: ParsedArgs = { positionals: [], flags: new Set(), options: new Map() };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      parsed.positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--')) {
      parsed.positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    if (spec.boolean.includes(name)) {
      if (eq !== -1) throw new CliUsageError(`--${name} takes no value`);
      parsed.flags.add(name);
    } else if (spec.string.includes(name)) {
      const value = eq !== -1 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined) throw new CliUsageError(`--${name} needs a value`);
      parsed.options.set(name, value);
    } else {
      throw new CliUsageError(`unknown option --${name}`);
    }
  }
  return parsed;
}
