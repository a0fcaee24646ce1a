/**
 * A simulated client running the lock recipe (Hunt et al., "ZooKeeper: Wait-free coordination
 * for Internet-scale systems", USENIX ATC 2010, §2.4; src/recipes/lock.ts is the wire-client
 * version) as a deterministic state machine, one op per step: an ephemeral-sequential node
 * under `/lock` named with a guid (`_c_<guid>-lock-`, as Curator names them), so a create whose
 * answer is lost is found again by its prefix; the lowest node holds; every other contender
 * watches only its predecessor and waits (pinging, since notifications ride on answers) for it
 * to go. While it holds, it acts on the protected resource with its token (its node's czxid),
 * and now and then pauses (a GC pause) for longer than its session timeout first: it then wakes
 * believing it still holds, which is the case fencing exists for.
 */
import type { Json } from '../../core/json.js';
import type { Random } from '../../core/random.js';
import { zxidOf } from './zk-client-ops.js';

export const LOCK_DIR = '/lock';

type Step =
  | 'connect'
  | 'dir'
  | 'create'
  | 'list'
  | 'stat'
  | 'watchPred'
  | 'wait'
  | 'act'
  | 'pause'
  | 'release';

/** How many pings a waiter sends before it looks at the queue again without a notification. */
const PATIENCE = 20;

const isObj = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x);

function field(r: Json | undefined, name: string): unknown {
  return isObj(r) ? r[name] : undefined;
}

function must<T>(x: T | undefined, step: Step): T {
  if (x === undefined) throw new Error(`lock client: step ${step} without what it needs`);
  return x;
}

export class LockClient {
  private step: Step = 'connect';
  /** The latest ok answer it has read: a different one means its last op succeeded. */
  private prevOk: Json | undefined;
  private attempt = 0;
  private node: string | undefined;
  private token: number | undefined;
  private pred: string | undefined;
  private waited = 0;
  private acts = 0;
  private pausedThisAct = false;

  constructor(private readonly process: number) {}

  private guid(): string {
    return `_c_${this.process}x${this.attempt}-lock-`;
  }

  /** Starts over: a new guid, no node, no token. */
  private restart(step: Step): void {
    this.attempt++;
    this.node = undefined;
    this.token = undefined;
    this.pred = undefined;
    this.step = step;
  }

  next(random: Random, lastOk: Json | undefined): Json {
    const ok = lastOk !== this.prevOk ? lastOk : undefined;
    this.prevOk = lastOk;
    const seen = zxidOf(lastOk) ?? 0;
    this.advance(random, ok);
    return this.op(random, seen);
  }

  /** Moves on from the last step, given its ok answer (undefined: it failed or is unknown). */
  private advance(random: Random, ok: Json | undefined): void {
    const code = field(ok, 'code');
    if (code === -112 && this.step !== 'act') return this.restart('connect');
    switch (this.step) {
      case 'connect':
        if (code === 0) this.step = 'dir';
        return;
      case 'dir':
        if (code === 0 || code === -110) this.step = 'create';
        return;
      case 'create': {
        const path = field(ok, 'path');
        if (code === 0 && typeof path === 'string') {
          this.node = path;
          this.token = zxidOf(ok);
        }
        // Created or not, or not known: the queue says which.
        this.step = 'list';
        return;
      }
      case 'list':
        if (code === 0) this.decide(field(ok, 'children'));
        return;
      case 'stat': {
        const czxid = field(ok, 'czxid');
        if (code === 0 && typeof czxid === 'number') {
          this.token = czxid;
          this.step = 'list';
        } else if (code === 0) this.restart('create');
        return;
      }
      case 'watchPred':
        if (code === 0) this.step = field(ok, 'exists') === true ? 'wait' : 'list';
        this.waited = 0;
        return;
      case 'wait': {
        const events = field(ok, 'events');
        const woken = Array.isArray(events) && events.some((e) => field(e, 'path') === this.pred);
        if (woken || ++this.waited > PATIENCE) this.step = 'list';
        return;
      }
      case 'pause':
        this.step = 'act';
        return;
      case 'act':
        if (ok === undefined) return;
        if (field(ok, 'accepted') === false) return this.restart('connect');
        if (--this.acts <= 0) this.step = 'release';
        this.pausedThisAct = false;
        return;
      case 'release':
        // Until the delete is known done, the node may still be there, ahead of a new one.
        if (code === 0 || code === -101) this.restart(random.chance(0.5) ? 'create' : 'dir');
        return;
    }
  }

  /** Given /lock's children: found its node (or not), holds, or watches its predecessor. */
  private decide(children: unknown): void {
    if (!Array.isArray(children)) return;
    const names = children.filter((c): c is string => typeof c === 'string');
    const seq = (n: string): string => n.slice(-10);
    names.sort((a, b) => (seq(a) < seq(b) ? -1 : seq(a) > seq(b) ? 1 : 0));
    if (this.node === undefined) {
      const mine = names.find((n) => n.startsWith(this.guid()));
      if (mine === undefined) {
        this.step = 'create';
        return;
      }
      this.node = `${LOCK_DIR}/${mine}`;
    }
    const name = this.node.slice(LOCK_DIR.length + 1);
    const i = names.indexOf(name);
    if (i < 0) return this.restart('create');
    if (this.token === undefined) {
      this.step = 'stat';
      return;
    }
    if (i === 0) {
      this.step = 'act';
      this.acts = 0;
      return;
    }
    this.pred = `${LOCK_DIR}/${names[i - 1] as string}`;
    this.step = 'watchPred';
  }

  private op(random: Random, seen: number): Json {
    switch (this.step) {
      case 'connect':
        return { f: 'connect', seen };
      case 'dir':
        return { f: 'create', key: LOCK_DIR, value: '', seen };
      case 'create':
        return {
          f: 'createSeq',
          key: `${LOCK_DIR}/${this.guid()}`,
          value: ['', 'ephemeralSequential'],
          seen,
        };
      case 'list':
        return { f: 'getChildren', key: LOCK_DIR, seen };
      case 'stat':
        return { f: 'watch', key: must(this.node, 'stat'), value: 'data', seen };
      case 'watchPred':
        return { f: 'watch', key: must(this.pred, 'watchPred'), value: 'exist', seen };
      case 'release':
        return { f: 'unlock', key: must(this.node, 'release'), seen };
      case 'wait':
        return { f: 'ping', seen };
      case 'pause':
      case 'act': {
        if (this.acts === 0) this.acts = 1 + random.int(3);
        if (!this.pausedThisAct && random.chance(0.3)) {
          this.pausedThisAct = true;
          this.step = 'pause';
          return { f: 'pause', value: random.range(1.2, 1.8), seen };
        }
        this.step = 'act';
        return { f: 'fence', value: must(this.token, 'act'), seen };
      }
    }
  }
}
