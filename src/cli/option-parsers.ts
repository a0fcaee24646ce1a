/** Parsers for option values; a bad value becomes one readable line via commander. */
import { InvalidArgumentError } from 'commander';

export function intIn(min: number, max: number): (text: string) => number {
  return (text) => {
    const n = Number(text);
    if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}.`);
    }
    return n;
  };
}

export function numberIn(min: number, max: number): (text: string) => number {
  return (text) => {
    const n = Number(text);
    if (text.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected a number from ${min} to ${max}.`);
    }
    return n;
  };
}

/** `250ms`, `10s`, `2m` or a bare number of milliseconds (0 allowed: a checker budget of none). */
export function duration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!m) throw new InvalidArgumentError('expected a duration such as 500ms, 10s or 2m.');
  const n = Number(m[1]);
  const unit = m[2] ?? 'ms';
  return unit === 'ms' ? n : unit === 's' ? n * 1000 : n * 60_000;
}

/** A duration above zero: a client's timeout or a run's length of 0 would be no time at all. */
export function positiveDuration(text: string): number {
  const ms = duration(text);
  if (ms === 0) throw new InvalidArgumentError('expected a duration above zero.');
  return ms;
}

/** A repeatable option's values, in the order given (`--param a=1 --param b=2`). */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
