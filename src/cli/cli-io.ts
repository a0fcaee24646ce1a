/**
 * Where the CLI writes, in a module of its own so commands need not import main.ts (which imports
 * every command): tests pass their own CliIo to capture what a command prints.
 */
export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  /** True when stderr is a terminal (progress bars only then). */
  interactive: boolean;
}
