/**
 * The lab's controls: what to run, how fast to play it, and the interactive faults that can be
 * applied while it runs (each applied at the current virtual instant and recorded in the
 * script, so the run stays replayable).
 */
import { useState } from 'preact/hooks';
import type { SystemDefinition } from '../../../src/core/system.js';
import { nemesisNames } from '../../../src/sim/nemesis.js';
import type { ScriptActionBody } from '../../../src/sim/script.js';
import { MAX_NODES, MAX_OPS, type RunConfig } from '../run-config.js';
import { playbackHint, type PlaybackState } from '../playback-state.js';

/** Virtual milliseconds per wall-clock second; Infinity plays as fast as the machine can. */
export const SPEEDS: readonly { readonly label: string; readonly value: number }[] = [
  { label: '0.1× (slow motion)', value: 100 },
  { label: '0.5×', value: 500 },
  { label: '1× (real time)', value: 1000 },
  { label: '10×', value: 10_000 },
  { label: 'as fast as possible', value: Infinity },
];

export function RunForm(props: {
  readonly systems: readonly SystemDefinition[];
  readonly config: RunConfig;
  readonly onChange: (c: RunConfig) => void;
  readonly onRun: () => void;
  readonly problem: string | undefined;
}) {
  const c = props.config;
  const system = props.systems.find((s) => s.name === c.system);
  const set = (patch: Partial<RunConfig>) => props.onChange({ ...c, ...patch });
  const int = (e: Event) => Number((e.currentTarget as HTMLInputElement).value);
  return (
    <form
      class="run-form"
      onSubmit={(e) => {
        e.preventDefault();
        props.onRun();
      }}
    >
      <label>
        System
        <select
          name="system"
          value={c.system}
          onChange={(e) => {
            const next = props.systems.find((s) => s.name === e.currentTarget.value);
            if (next !== undefined)
              set({ system: next.name, nodes: next.defaultNodes, mutant: null, params: {} });
          }}
        >
          {props.systems.map((s) => (
            <option key={s.name} value={s.name} title={s.description}>
              {s.name}
            </option>
          ))}
        </select>
      </label>
      {system !== undefined && <p class="muted small">{system.description}</p>}
      <div class="row">
        <label>
          Nodes
          <input
            name="nodes"
            type="number"
            min={system?.minNodes ?? 1}
            max={MAX_NODES}
            value={c.nodes}
            onInput={(e) => set({ nodes: int(e) })}
          />
        </label>
        <label>
          Seed
          <input
            name="seed"
            type="number"
            min={0}
            value={c.seed}
            onInput={(e) => set({ seed: int(e) })}
          />
        </label>
        <label>
          Operations
          <input
            name="ops"
            type="number"
            min={1}
            max={MAX_OPS}
            value={c.ops}
            onInput={(e) => set({ ops: int(e) })}
          />
        </label>
      </div>
      <label>
        Nemesis
        <select
          name="nemesis"
          value={c.nemesis}
          onChange={(e) => set({ nemesis: e.currentTarget.value })}
        >
          {nemesisNames().map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
      </label>
      <label>
        Mutant
        <select
          name="mutant"
          value={c.mutant ?? ''}
          onChange={(e) =>
            set({ mutant: e.currentTarget.value === '' ? null : e.currentTarget.value })
          }
        >
          <option value="">none (the real thing)</option>
          {(system?.mutants ?? []).map((m) => (
            <option key={m.name} value={m.name} title={m.description}>
              {m.name}
            </option>
          ))}
        </select>
      </label>
      {(system?.params ?? []).map((param) => (
        <label key={param.name} title={param.description}>
          {param.name}
          <input
            name={`param-${param.name}`}
            placeholder="default"
            value={c.params[param.name] ?? ''}
            onInput={(e) => {
              const value = e.currentTarget.value.trim();
              const params = { ...c.params };
              if (value === '') delete params[param.name];
              else params[param.name] = value;
              set({ params });
            }}
          />
        </label>
      ))}
      {props.problem !== undefined && <p class="error">{props.problem}</p>}
      <button
        type="submit"
        class="primary"
        data-testid="run"
        disabled={props.problem !== undefined}
      >
        Run
      </button>
    </form>
  );
}

export function Playback(props: {
  readonly state: PlaybackState;
  readonly speed: number;
  readonly onSpeed: (v: number) => void;
  readonly onPlay: () => void;
  readonly onPause: () => void;
  readonly onGoOn: () => void;
  readonly onEnd: () => void;
  readonly onToEnd: () => void;
  readonly onReplay: () => void;
}) {
  const s = props.state;
  const live = s !== 'none';
  return (
    <div class="playback" data-testid="playback" data-state={s}>
      <label>
        Speed
        <select
          name="speed"
          value={String(props.speed)}
          onChange={(e) => props.onSpeed(Number(e.currentTarget.value))}
        >
          {SPEEDS.map((sp) => (
            <option key={sp.label} value={String(sp.value)}>
              {sp.label}
            </option>
          ))}
        </select>
      </label>
      <div class="row buttons">
        {s === 'playing' || s === 'going-on' ? (
          <button data-testid="pause" onClick={props.onPause}>
            Pause playback
          </button>
        ) : s === 'workload-ended' ? (
          <button
            data-testid="go-on"
            onClick={props.onGoOn}
            title="Keep the nodes running with no clients"
          >
            Go on without clients
          </button>
        ) : (
          <button data-testid="continue" onClick={props.onPlay} disabled={!live || s === 'over'}>
            {s === 'ready' ? 'Play' : 'Continue playback'}
          </button>
        )}
        {s === 'going-on' || s === 'going-on-paused' ? (
          <button data-testid="end-run" onClick={props.onEnd}>
            End run
          </button>
        ) : (
          <button
            onClick={props.onToEnd}
            disabled={!(s === 'ready' || s === 'playing' || s === 'paused')}
            title="Play to the end of the workload as fast as possible"
          >
            To the end
          </button>
        )}
        <button
          onClick={props.onReplay}
          disabled={!live}
          title="Run again from the start with the recorded faults"
        >
          Replay
        </button>
      </div>
      {playbackHint(s) !== '' && (
        <p class="muted small" data-testid="playback-hint">
          {playbackHint(s)}
        </p>
      )}
    </div>
  );
}

export function FaultPanel(props: {
  readonly nodes: readonly string[];
  readonly statusOf: (node: string) => 'up' | 'down' | 'paused';
  readonly partitioned: boolean;
  readonly disabled: boolean;
  readonly onAct: (a: ScriptActionBody) => void;
}) {
  const [side, setSide] = useState<readonly string[]>([]);
  const [node, setNode] = useState(props.nodes[0] ?? 'n1');
  const [offset, setOffset] = useState(500);
  const [drift, setDrift] = useState(0);
  const target = props.nodes.includes(node) ? node : (props.nodes[0] ?? 'n1');
  const status = props.statusOf(target);
  const rest = props.nodes.filter((n) => !side.includes(n));
  const cut = (): ScriptActionBody => ({
    kind: 'partition',
    blocked: side.flatMap((a) => rest.flatMap((b) => [[a, b] as const, [b, a] as const])),
  });
  const off = props.disabled;
  return (
    <div class="faults" data-testid="faults">
      <fieldset disabled={off}>
        <legend>Partition</legend>
        <div class="node-checks">
          {props.nodes.map((n) => (
            <label key={n} class="check">
              <input
                type="checkbox"
                name={`side-${n}`}
                checked={side.includes(n)}
                onChange={(e) =>
                  setSide(e.currentTarget.checked ? [...side, n] : side.filter((s) => s !== n))
                }
              />
              {n}
            </label>
          ))}
        </div>
        <div class="row buttons">
          <button
            data-testid="partition"
            disabled={side.length === 0 || rest.length === 0}
            onClick={() => props.onAct(cut())}
            title="Cut the ticked nodes off from the others, both ways"
          >
            Cut ticked | rest
          </button>
          <button
            data-testid="heal"
            disabled={!props.partitioned}
            onClick={() => props.onAct({ kind: 'heal' })}
          >
            Heal
          </button>
        </div>
      </fieldset>
      <fieldset disabled={off}>
        <legend>Node</legend>
        <select name="fault-node" value={target} onChange={(e) => setNode(e.currentTarget.value)}>
          {props.nodes.map((n) => (
            <option key={n} value={n}>
              {n} ({props.statusOf(n)})
            </option>
          ))}
        </select>
        <div class="row buttons">
          <button
            disabled={status === 'down'}
            onClick={() => props.onAct({ kind: 'crash', node: target })}
          >
            Crash
          </button>
          <button
            disabled={status !== 'down'}
            onClick={() => props.onAct({ kind: 'restart', node: target })}
          >
            Restart
          </button>
          <button
            disabled={status !== 'up'}
            onClick={() => props.onAct({ kind: 'pause', node: target })}
            title="Freeze this node's process (not the playback)"
          >
            Pause node
          </button>
          <button
            disabled={status !== 'paused'}
            onClick={() => props.onAct({ kind: 'resume', node: target })}
          >
            Resume node
          </button>
        </div>
        <div class="row">
          <label>
            Clock offset (ms)
            <input
              type="number"
              value={offset}
              onInput={(e) => setOffset(Number(e.currentTarget.value))}
            />
          </label>
          <label>
            Drift (%)
            <input
              type="number"
              step="0.5"
              min="-50"
              max="50"
              value={drift}
              onInput={(e) => setDrift(Number(e.currentTarget.value))}
            />
          </label>
        </div>
        <div class="row buttons">
          <button
            onClick={() => props.onAct({ kind: 'clock', node: target, offset, drift: drift / 100 })}
            disabled={!Number.isFinite(offset) || !Number.isFinite(drift) || drift <= -100}
          >
            Skew clock
          </button>
          <button onClick={() => props.onAct({ kind: 'clock', node: target, offset: 0, drift: 0 })}>
            Reset clock
          </button>
        </div>
      </fieldset>
    </div>
  );
}
