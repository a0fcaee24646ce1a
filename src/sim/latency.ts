/**
 * Link latency distributions, written as `constant:5`, `uniform:1-10`, `exp:5` or
 * `exp:5,floor=1` (milliseconds). A bare number means constant.
 */
import type { Random } from '../core/random.js';

export type Latency =
  | { readonly kind: 'constant'; readonly ms: number }
  | { readonly kind: 'uniform'; readonly min: number; readonly max: number }
  | { readonly kind: 'exponential'; readonly mean: number; readonly floor: number };

export const DEFAULT_LATENCY: Latency = { kind: 'exponential', mean: 1, floor: 0.5 };

/**
 * A latency per message type (the message's `type` tag), for the types it names; every other
 * message takes its link's latency. A schedule that depends on what a message is — prepares
 * fast, accepts slow — is still a legal network as long as every entry is bounded (maxLatency).
 */
export type LatencyByType = Readonly<Record<string, Latency>>;

export class LatencySpecError extends Error {}

function num(text: string, spec: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < 0) {
    throw new LatencySpecError(`bad latency '${spec}': '${text}' is not a non-negative number`);
  }
  return n;
}

export function parseLatency(spec: string): Latency {
  const s = spec.trim();
  if (/^[\d.]+$/.test(s)) return { kind: 'constant', ms: num(s, spec) };
  const m = /^(constant|uniform|exp|exponential):(.+)$/.exec(s);
  if (!m) {
    throw new LatencySpecError(
      `bad latency '${spec}': use constant:MS, uniform:MIN-MAX, exp:MEAN or exp:MEAN,floor=MS`,
    );
  }
  const [, kind, rest] = m as unknown as [string, string, string];
  if (kind === 'constant') return { kind: 'constant', ms: num(rest, spec) };
  if (kind === 'uniform') {
    const parts = rest.split('-');
    if (parts.length !== 2) throw new LatencySpecError(`bad latency '${spec}': uniform:MIN-MAX`);
    const min = num(parts[0] as string, spec);
    const max = num(parts[1] as string, spec);
    if (max < min) throw new LatencySpecError(`bad latency '${spec}': MAX is below MIN`);
    return { kind: 'uniform', min, max };
  }
  const [meanText, ...opts] = rest.split(',');
  let floor = 0;
  for (const o of opts) {
    const fm = /^floor=(.+)$/.exec(o.trim());
    if (!fm) throw new LatencySpecError(`bad latency '${spec}': unknown option '${o}'`);
    floor = num(fm[1] as string, spec);
  }
  return { kind: 'exponential', mean: num(meanText as string, spec), floor };
}

export function formatLatency(l: Latency): string {
  switch (l.kind) {
    case 'constant':
      return `constant:${l.ms}`;
    case 'uniform':
      return `uniform:${l.min}-${l.max}`;
    case 'exponential':
      return `exp:${l.mean},floor=${l.floor}`;
  }
}

export function sampleLatency(l: Latency, random: Random): number {
  switch (l.kind) {
    case 'constant':
      return l.ms;
    case 'uniform':
      return random.range(l.min, l.max);
    case 'exponential':
      return l.floor + random.exponential(l.mean);
  }
}

/** The longest delay the distribution can draw (Infinity for the exponential's tail). */
export function maxLatency(l: Latency): number {
  switch (l.kind) {
    case 'constant':
      return l.ms;
    case 'uniform':
      return l.max;
    case 'exponential':
      return Infinity;
  }
}

export function meanLatency(l: Latency): number {
  switch (l.kind) {
    case 'constant':
      return l.ms;
    case 'uniform':
      return (l.min + l.max) / 2;
    case 'exponential':
      return l.floor + l.mean;
  }
}
