/** A mistake in how truthkit was called: reported as one line on stderr, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const EXIT = { ok: 0, invalid: 1, usage: 2, unknown: 3 } as const;
