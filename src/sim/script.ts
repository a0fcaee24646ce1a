/**
 * Interactive faults as data. The lab's buttons (and anyone driving a Session) produce these;
 * a run's script is the list of them with the virtual instant each was applied, which is all
 * that is needed — with the seed and options — to replay the run exactly or share it as a URL.
 */
import type { NodeId } from '../core/node.js';
import type { FaultState } from './faults.js';

export type ScriptActionBody =
  /** Blocks exactly these directed links (replacing the previous interactive partition). */
  | { readonly kind: 'partition'; readonly blocked: readonly (readonly [NodeId, NodeId])[] }
  /** Removes the interactive partition. */
  | { readonly kind: 'heal' }
  | { readonly kind: 'crash'; readonly node: NodeId }
  | { readonly kind: 'restart'; readonly node: NodeId }
  | { readonly kind: 'pause'; readonly node: NodeId }
  | { readonly kind: 'resume'; readonly node: NodeId }
  /**
   * Sets the node's clock `offset` ms ahead of true time, drifting at `drift` (0 resets it);
   * kept inside the system's clock bound unless `beyondBound`.
   */
  | {
      readonly kind: 'clock';
      readonly node: NodeId;
      readonly offset: number;
      readonly drift: number;
      readonly beyondBound?: boolean;
    };

export type ScriptAction = ScriptActionBody & { readonly at: number };

const SOURCE = 'interactive';

export function applyScriptAction(faults: FaultState, action: ScriptActionBody): void {
  switch (action.kind) {
    case 'partition':
      faults.cut(`${SOURCE}:partition`, action.blocked);
      return;
    case 'heal':
      faults.heal(`${SOURCE}:partition`);
      return;
    case 'crash':
      faults.crash(`${SOURCE}:process:${action.node}`, [action.node]);
      return;
    case 'pause':
      faults.pause(`${SOURCE}:process:${action.node}`, [action.node]);
      return;
    case 'restart':
    case 'resume':
      faults.heal(`${SOURCE}:process:${action.node}`);
      return;
    case 'clock':
      if (action.offset === 0 && action.drift === 0) faults.heal(`${SOURCE}:clock:${action.node}`);
      else {
        const source = `${SOURCE}:clock:${action.node}`;
        faults.clock(source, action.node, action.offset, action.drift, action.beyondBound === true);
      }
      return;
  }
}

/** Checks untrusted script input (a shared URL) and says what is wrong with it. */
export function parseScript(value: unknown, nodes: readonly NodeId[]): ScriptAction[] {
  if (!Array.isArray(value)) throw new Error('a script is a list of actions');
  const isNode = (n: unknown): n is NodeId => typeof n === 'string' && nodes.includes(n);
  return value.map((a: unknown, i) => {
    const where = `script action ${i + 1}`;
    if (typeof a !== 'object' || a === null) throw new Error(`${where} is not an object`);
    const o = a as Record<string, unknown>;
    if (typeof o.at !== 'number' || !Number.isFinite(o.at) || o.at < 0) {
      throw new Error(`${where}: 'at' must be a non-negative time in ms`);
    }
    switch (o.kind) {
      case 'heal':
        return { kind: 'heal', at: o.at };
      case 'crash':
      case 'restart':
      case 'pause':
      case 'resume':
        if (!isNode(o.node)) throw new Error(`${where}: unknown node ${JSON.stringify(o.node)}`);
        return { kind: o.kind, node: o.node, at: o.at };
      case 'clock':
        if (!isNode(o.node)) throw new Error(`${where}: unknown node ${JSON.stringify(o.node)}`);
        if (typeof o.offset !== 'number' || typeof o.drift !== 'number' || !(o.drift > -1)) {
          throw new Error(`${where}: clock needs a numeric offset and a drift above -1`);
        }
        if (o.beyondBound !== undefined && typeof o.beyondBound !== 'boolean') {
          throw new Error(`${where}: beyondBound must be true or false`);
        }
        return {
          kind: 'clock',
          node: o.node,
          offset: o.offset,
          drift: o.drift,
          ...(o.beyondBound === true ? { beyondBound: true } : {}),
          at: o.at,
        };
      case 'partition': {
        const blocked = o.blocked;
        if (
          !Array.isArray(blocked) ||
          !blocked.every((l) => Array.isArray(l) && l.length === 2 && isNode(l[0]) && isNode(l[1]))
        ) {
          throw new Error(`${where}: partition needs 'blocked' as [from, to] node pairs`);
        }
        return { kind: 'partition', blocked: blocked as [NodeId, NodeId][], at: o.at };
      }
      default:
        throw new Error(`${where}: unknown kind ${JSON.stringify(o.kind)}`);
    }
  });
}
