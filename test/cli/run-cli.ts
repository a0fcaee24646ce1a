/** Runs the truthkit CLI in-process and captures what it prints and its exit code. */
import { main } from '../../src/cli/main.js';

export interface CliOutcome {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

export async function cli(...argv: string[]): Promise<CliOutcome> {
  let out = '';
  let err = '';
  const code = await main(argv, {
    out: (t) => (out += t),
    err: (t) => (err += t),
    interactive: false,
  });
  return { code, out, err };
}
