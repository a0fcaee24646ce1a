/**
 * `--latency constant:MS | uniform:A-B | exp:MEAN[,floor=MS]` for sim. Apart from the other
 * option parsers so that commands without it (check, node…) do not load the simulator's
 * latency module at start-up.
 */
import { InvalidArgumentError } from 'commander';
import { parseLatency, type Latency } from '../sim/latency.js';

export function latency(text: string): Latency {
  try {
    return parseLatency(text);
  } catch (e) {
    throw new InvalidArgumentError((e instanceof Error ? e.message : String(e)) + '.');
  }
}
