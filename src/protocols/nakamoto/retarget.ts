/**
 * Bitcoin's difficulty retarget: every 2016 blocks the target is scaled by how long those
 * blocks took against the intended two weeks, with the measured time clamped to [1/2 week,
 * 8 weeks] (so one step changes difficulty by at most ×4 either way) and the result capped at
 * the proof-of-work limit. The timespan is measured from the first to the last block of the
 * period — 2015 intervals, not 2016: an off-by-one Bitcoin has kept since 2009 (and the root of
 * the "time warp" attack), reproduced here because it is consensus.
 */
import { decodeCompact, encodeCompact } from './compact-target.js';

export const RETARGET_INTERVAL = 2016;
export const TARGET_SPACING_S = 10 * 60;
export const TARGET_TIMESPAN_S = 14 * 24 * 60 * 60;
/** Mainnet's easiest allowed target (bits 0x1d00ffff). */
export const MAINNET_POW_LIMIT = (1n << 224n) - 1n;

export interface RetargetParams {
  readonly powLimit: bigint;
  readonly timespanS: number;
}

export const MAINNET_RETARGET: RetargetParams = {
  powLimit: MAINNET_POW_LIMIT,
  timespanS: TARGET_TIMESPAN_S,
};

/**
 * The bits of the first block of the next period, given the bits of the period's last block
 * and the timestamps of its first and last blocks (seconds), as CalculateNextWorkRequired.
 */
export function nextBits(
  lastBits: number,
  firstTime: number,
  lastTime: number,
  params: RetargetParams = MAINNET_RETARGET,
): number {
  const span = params.timespanS;
  const actual = Math.min(Math.max(lastTime - firstTime, span / 4), span * 4);
  let target = (decodeCompact(lastBits).target * BigInt(Math.floor(actual))) / BigInt(span);
  if (target > params.powLimit) target = params.powLimit;
  return encodeCompact(target);
}
