/**
 * The judge of an `ethereum` run, over the honest validators as the run left them:
 *
 * - safety (Casper FFG's accountable safety): no two finalized checkpoints conflict (neither
 *   descends from the other) unless validators holding ≥ 1/3 of the stake are provably slashable,
 *   and then the evidence against them was produced;
 * - state agreement: every block an honest node holds executed, on that node, to the state
 *   root it claims, and at every block on a finalized chain every honest node that holds it
 *   computed that same root;
 * - liveness: once the last fault healed, every honest node finalizes a new checkpoint within
 *   `boundEpochs` epochs (judged only when the run lasted that long after the heal).
 */
import type { NodeId, ProtocolNode } from '../../core/node.js';
import type { JudgeContext, Judgement } from '../../core/system.js';
import type { Root } from '../../protocols/pos/types.js';
import { ValidatorNode, type EthConfig } from './validator-node.js';

export interface JudgeOptions {
  readonly config: EthConfig;
  readonly runEndMs: number;
  readonly boundEpochs: number;
}

export function judgeEthereum(
  nodes: ReadonlyMap<NodeId, ProtocolNode>,
  options: JudgeOptions,
  context?: JudgeContext,
): Judgement {
  const { config } = options;
  const honest = [...nodes.values()].filter(
    (n): n is ValidatorNode => n instanceof ValidatorNode && !n.byzantine,
  );
  const validators = [...nodes.values()].filter(
    (n): n is ValidatorNode => n instanceof ValidatorNode,
  );
  const parentOf = (r: Root): Root | undefined => {
    for (const n of validators) {
      const p = n.parentOf(r);
      if (p !== undefined) return p;
    }
    return undefined;
  };
  const descends = (r: Root, ancestor: Root): boolean => {
    for (let x: Root | undefined = r; x !== undefined; x = parentOf(x))
      if (x === ancestor) return true;
    return false;
  };
  const problems: string[] = [];
  const notes: string[] = [];

  // Safety.
  const finals = new Map<Root, number>();
  for (const n of honest) for (const f of n.finalizedHistory) finals.set(f.root, f.epoch);
  const list = [...finals];
  /**
   * Whether the inactivity leak could have let the chain that holds `root` justify with less
   * than two thirds of the genesis stake: the active validators richest relative to genesis
   * (stake now / stake at genesis) that make up two thirds of the active stake there hold less
   * than two thirds of it at genesis (the leak drains, then ejects, the absent). Only then can two finalized branches overlap in less than a third
   * of the stake without anyone double voting. Answers whose stake was drained, or undefined.
   */
  const leakedAt = (root: Root): string | undefined => {
    for (const n of validators) {
      const now = n.stakesAt(root);
      const slashedThere = n.slashedAt(root);
      if (now === undefined || slashedThere === undefined) continue;
      const genesis = config.pos.stakes;
      // Only the active count: slashed validators and those the leak ejected no longer vote.
      const ids = Object.keys(genesis).filter(
        (v) => !slashedThere.includes(v) && (now[v] ?? 0) >= config.pos.ejectionStake,
      );
      const totalNow = ids.reduce((t, v) => t + (now[v] ?? 0), 0);
      const totalGenesis = Object.values(genesis).reduce((t, x) => t + x, 0);
      const ratio = (v: NodeId): number => (now[v] ?? 0) / (genesis[v] ?? 1);
      let sumNow = 0;
      let sumGenesis = 0;
      for (const v of [...ids].sort((a, b) => ratio(b) - ratio(a))) {
        if (3 * sumNow >= 2 * totalNow) break;
        sumNow += now[v] ?? 0;
        sumGenesis += genesis[v] ?? 0;
      }
      if (3 * sumGenesis >= 2 * totalGenesis) return undefined;
      return Object.keys(genesis)
        .filter((v) => !slashedThere.includes(v) && (now[v] ?? 0) < (genesis[v] ?? 0))
        .sort()
        .join(', ');
    }
    return undefined;
  };
  let conflict: { text: string; leaked: string | undefined } | undefined;
  for (let i = 0; i < list.length && conflict === undefined; i++) {
    for (let j = i + 1; j < list.length; j++) {
      const [a, ea] = list[i] as [Root, number];
      const [b, eb] = list[j] as [Root, number];
      if (!descends(a, b) && !descends(b, a)) {
        conflict = {
          text: `finalized checkpoints ${ea}:${a.slice(0, 8)} and ${eb}:${b.slice(0, 8)} conflict`,
          leaked: leakedAt(a) ?? leakedAt(b),
        };
        break;
      }
    }
  }
  const evidence = new Set<NodeId>();
  for (const n of honest) for (const v of n.evidenceAgainst()) evidence.add(v);
  const stakes = config.pos.stakes;
  const total = Object.values(stakes).reduce((s, x) => s + x, 0);
  const slashable = [...evidence].reduce((s, v) => s + (stakes[v] ?? 0), 0);
  if (conflict !== undefined) {
    if (3 * slashable >= total) {
      notes.push(
        `${conflict.text}, with evidence against ${[...evidence].sort().join(', ')} (≥ 1/3 of stake)`,
      );
    } else if (conflict.leaked !== undefined) {
      // Accountable safety counts stake as it was; the inactivity leak changes it. Two sides
      // of a partition that outlasts the leak's horizon each drain the other's stake and
      // finalize: Ethereum's documented choice of liveness, reported and not judged.
      notes.push(
        `${conflict.text} after the inactivity leak drained ${conflict.leaked} (a partition outlasting the leak; not judged)`,
      );
    } else {
      problems.push(
        `${conflict.text}, and only ${slashable} of ${total} stake is provably slashable`,
      );
    }
  }

  // Every block an honest node holds executes, on that node, to the root it claims.
  for (const n of honest) {
    const bad = n.blockRoots().find((r) => {
      const b = n.blockOf(r);
      return b !== null && b !== undefined && n.execRootOf(r) !== b.payload.stateRoot;
    });
    if (bad !== undefined) {
      const b = n.blockOf(bad);
      problems.push(
        `an honest node holds block ${bad.slice(0, 8)} (slot ${b?.slot}, by ${b?.proposer}) whose claimed state root ${b?.payload.stateRoot.slice(0, 10)} is not the ${n.execRootOf(bad)?.slice(0, 10)} it computed`,
      );
      break;
    }
  }

  // State agreement on finalized chains.
  let checked = 0;
  for (const n of honest) {
    for (
      let r: Root | undefined = n.finalizedCheckpoint().root;
      r !== undefined;
      r = n.parentOf(r)
    ) {
      const block = n.blockOf(r);
      if (block === null || block === undefined) continue;
      checked++;
      for (const m of honest) {
        const mine = m.execRootOf(r);
        if (mine !== undefined && mine !== block.payload.stateRoot) {
          problems.push(
            `a node computed state root ${mine.slice(0, 10)} at finalized block ${r.slice(0, 8)} (slot ${block.slot}), which claims ${block.payload.stateRoot.slice(0, 10)}`,
          );
          break;
        }
      }
      if (problems.length > 0) break;
    }
  }

  // Liveness after the last heal.
  const epochMs = config.slotMs * config.pos.slotsPerEpoch;
  const windows = context?.faultWindows ?? [];
  const healAt = windows.reduce((t, [, to]) => Math.max(t, to), 0);
  const deadline = healAt + options.boundEpochs * epochMs;
  let liveness = 'not judged (the run ended too soon after the last heal)';
  if (conflict?.leaked !== undefined && 3 * slashable < total) {
    // Each side refuses the other's finalized branch for good: no heal reunites them.
    liveness = 'not judged (the finalized chains split under the inactivity leak)';
  } else if (Number.isFinite(healAt) && options.runEndMs >= deadline) {
    const stalled = honest.filter(
      (n) => !n.finalizedHistory.some((f) => f.at > healAt && f.at <= deadline),
    );
    liveness = `finality within ${options.boundEpochs} epochs of the heal at ${healAt} ms`;
    if (stalled.length > 0) {
      problems.push(
        `no new finalized checkpoint within ${options.boundEpochs} epochs of the last heal (${healAt} ms) at ${stalled.length} honest node(s)`,
      );
    }
  }
  const mismatches = honest.reduce((s, n) => s + n.rootMismatches().length, 0);
  const finalizedEpochs = honest.map((n) => n.finalizedCheckpoint().epoch);
  const details = {
    finalizedEpochs,
    finalizedBlocksChecked: checked,
    slashable: [...evidence].sort(),
    rootMismatches: mismatches,
    liveness,
    notes,
  };
  if (problems.length > 0) return { verdict: 'invalid', message: problems.join('; '), details };
  return {
    verdict: 'valid',
    message:
      `finalized epochs ${finalizedEpochs.join(', ')}; ${checked} finalized block(s) agree on state roots; ${liveness}` +
      (mismatches > 0 ? `; ${mismatches} block(s) refused for a state-root mismatch` : '') +
      (evidence.size > 0 ? `; slashing evidence against ${[...evidence].sort().join(', ')}` : '') +
      (notes.length > 0 ? `; ${notes.join('; ')}` : ''),
    details,
  };
}
