/**
 * `truthkit chain`: Bitcoin's proof-of-work primitives from the command line.
 *   chain header <160 hex>              decode an 80-byte header, hash it, check its target
 *   chain retarget --bits --first-time --last-time   the 2016-block difficulty retarget
 *   chain attack --q Q (--z A..B | --target P)       the whitepaper's double-spend odds
 *     (model nakamoto-poisson; --exact adds rosenfeld-catch-up, see attacker-math.ts)
 */
import type { Command } from 'commander';
import {
  nakamotoCatchUp,
  exactCatchUp,
  leastSafeZ,
} from '../../protocols/nakamoto/attacker-math.js';
import { NakamotoInputError, fromHex, toDisplayHex } from '../../protocols/nakamoto/bytes.js';
import {
  decodeCompact,
  formatBits,
  parseBits,
  targetToHex,
} from '../../protocols/nakamoto/compact-target.js';
import {
  HEADER_BYTES,
  hashMeetsBits,
  headerHashBytes,
  parseHeader,
} from '../../protocols/nakamoto/header.js';
import { nextBits } from '../../protocols/nakamoto/retarget.js';
import type { CliIo } from '../cli-io.js';
import { intIn, numberIn } from '../option-parsers.js';
import { EXIT, UsageError } from '../usage-error.js';

/** Turns a primitive's complaint about its input into a usage error (one line, exit 2). */
export function usage<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof NakamotoInputError || e instanceof RangeError) throw new UsageError(e.message);
    throw e;
  }
}

export function describeHeader(hex: string) {
  const bytes = usage(() => fromHex(hex.trim(), HEADER_BYTES, 'a block header'));
  const h = parseHeader(bytes);
  const raw = headerHashBytes(bytes);
  const d = decodeCompact(h.bits);
  return {
    hash: toDisplayHex(raw),
    version: h.version,
    prevHash: h.prevHash,
    merkleRoot: h.merkleRoot,
    time: h.time,
    bits: formatBits(h.bits),
    nonce: h.nonce,
    target: targetToHex(d.target),
    meetsTarget: hashMeetsBits(raw, h.bits),
  };
}

/** `A..B` or a single `A`: whole numbers, A ≤ B. */
export function parseZRange(text: string): [number, number] {
  const m = /^(\d+)(?:\.\.(\d+))?$/.exec(text.trim());
  if (!m) throw new UsageError(`bad --z '${text}': use a whole number or a range such as 0..10`);
  const lo = Number(m[1]);
  const hi = Number(m[2] ?? m[1]);
  if (hi < lo) throw new UsageError(`bad --z '${text}': the range ends before it starts`);
  if (hi > 100_000) throw new UsageError(`bad --z '${text}': at most 100000`);
  return [lo, hi];
}

function bitsOption(text: string): number {
  const b = parseBits(text);
  if (b === undefined)
    throw new UsageError(`bad --bits '${text}': expected up to 8 hex digits, e.g. 0x1d00ffff`);
  return b;
}

export function chainCommand(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const chain = program
    .command('chain')
    .description("Bitcoin's proof of work: headers, retargets, double-spend odds");

  chain
    .command('header')
    .description(
      'decode an 80-byte block header (160 hex characters) and check its proof of work ' +
        '(exit 0 if the hash meets the target, 1 if not)',
    )
    .argument('<hex>', 'the serialized header')
    .option('--json', 'print one JSON object')
    .action((hex: string, flags: { json?: boolean }) => {
      const h = describeHeader(hex);
      // A header whose hash misses its target is not a block: say so in the exit code, as
      // `check` does for an invalid history, so scripts need not parse the output.
      if (!h.meetsTarget) setExit(EXIT.invalid);
      if (flags.json) return io.out(JSON.stringify(h) + '\n');
      io.out(
        [
          `hash        ${h.hash}`,
          `version     ${h.version}`,
          `prevHash    ${h.prevHash}`,
          `merkleRoot  ${h.merkleRoot}`,
          `time        ${h.time}`,
          `bits        ${h.bits}`,
          `nonce       ${h.nonce}`,
          `target      ${h.target}`,
          `meetsTarget ${h.meetsTarget}`,
          ...(h.meetsTarget ? [] : ['invalid: the hash is above the target (no proof of work)']),
        ].join('\n') + '\n',
      );
    });

  chain
    .command('retarget')
    .description('the next difficulty after a 2016-block period (clamped ×4, capped at the limit)')
    .requiredOption('--bits <hex>', "the period's last block's bits, e.g. 0x1d00ffff", bitsOption)
    .requiredOption('--first-time <t>', "the period's first block time (s)", intIn(0, 2 ** 32 - 1))
    .requiredOption('--last-time <t>', "the period's last block time (s)", intIn(0, 2 ** 32 - 1))
    .option('--json', 'print one JSON object')
    .action((flags: { bits: number; firstTime: number; lastTime: number; json?: boolean }) => {
      const bits = formatBits(nextBits(flags.bits, flags.firstTime, flags.lastTime));
      io.out(flags.json ? JSON.stringify({ bits }) + '\n' : `${bits}\n`);
    });

  chain
    .command('attack')
    .description(
      'probability an attacker with share q catches up from z blocks behind (whitepaper §11)',
    )
    .requiredOption(
      '--q <share>',
      "the attacker's share of the hash power, in (0, 0.5)",
      numberIn(0, 1),
    )
    .option('--z <range>', 'blocks behind: a number or a range A..B', '0..10')
    .option(
      '--target <p>',
      'instead: the least z that brings the probability below p',
      numberIn(0, 1),
    )
    .option(
      '--exact',
      "also print Rosenfeld's probability per z (model rosenfeld-catch-up: negative binomial, " +
        'catching up counts)',
    )
    .option('--json', 'print one JSON object')
    .action((flags: { q: number; z: string; target?: number; exact?: boolean; json?: boolean }) => {
      const q = flags.q;
      if (!(q > 0 && q < 0.5)) {
        throw new UsageError(`--q must be in (0, 0.5): at q ≥ 0.5 the attacker always catches up`);
      }
      if (flags.target !== undefined) {
        const target = flags.target;
        if (!(target > 0 && target < 1)) throw new UsageError('--target must be in (0, 1)');
        const z = leastSafeZ(q, target) ?? null;
        if (flags.json) return io.out(JSON.stringify({ q, target, z }) + '\n');
        return io.out(`q=${q} P < ${target}: z=${z ?? 'beyond 100000'}\n`);
      }
      const [lo, hi] = parseZRange(flags.z);
      const rows = [];
      for (let z = lo; z <= hi; z++) {
        rows.push({
          z,
          p: nakamotoCatchUp(q, z),
          ...(flags.exact ? { exact: exactCatchUp(q, z) } : {}),
        });
      }
      // Name the models, so a reader of `p` and `exact` knows which assumptions each carries.
      const models = {
        p: 'nakamoto-poisson',
        ...(flags.exact ? { exact: 'rosenfeld-catch-up' } : {}),
      };
      if (flags.json) return io.out(JSON.stringify({ q, models, rows }) + '\n');
      io.out(
        `q=${q}\n` +
          rows
            .map(
              (r) =>
                `z=${r.z} P=${r.p.toFixed(7)}${'exact' in r ? ` exact=${(r.exact as number).toFixed(7)}` : ''}`,
            )
            .join('\n') +
          '\n',
      );
    });
}
