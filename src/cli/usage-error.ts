/** A mistake in how truthkit was called: reported as one line on stderr, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** `incomplete`: `truthkit sweep merge` was given shards that do not cover the whole sweep. */
export const EXIT = { ok: 0, invalid: 1, usage: 2, unknown: 3, incomplete: 4 } as const;
