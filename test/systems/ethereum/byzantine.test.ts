/**
 * Byzantine validators in simulation (`--byzantine K --strategy S`): an equivocating proposer and
 * voter and a surround voter are caught with evidence and slashed on chain; a withholding one
 * (a quarter of the stake) does not stop finality; bad parameters are one-line usage errors.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Session } from '../../../src/sim/run.js';
import { judgeSession } from '../../../src/sim/checked-run.js';
import { getSystem } from '../../../src/systems/index.js';
import { setExecutionPortProvider } from '../../../src/systems/ethereum/execution-provider.js';
import { EthParamError } from '../../../src/systems/ethereum/params.js';
import { ValidatorNode } from '../../../src/systems/ethereum/validator-node.js';
import type { NodeEnv } from '../../../src/core/node.js';
import type { SystemDefinition } from '../../../src/core/system.js';
import { WorkerExecutor } from '../../../src/runtime/evm/worker-executor.js';

const eth = getSystem('ethereum')!;
const executor = new WorkerExecutor();
setExecutionPortProvider(() => executor);
after(() => executor.close());

function run(params: Record<string, string>, durationMs = 8000) {
  const session = new Session({ system: eth, seed: 3, nodes: 4, params, workload: { durationMs } });
  session.runToEnd();
  const validators = [...session.sim.liveNodes().values()].filter(
    (n): n is ValidatorNode => n instanceof ValidatorNode,
  );
  return { judged: judgeSession(session), honest: validators.filter((v) => !v.byzantine) };
}

for (const strategy of ['equivocate', 'surround'] as const) {
  test(`${strategy}: every honest node holds evidence against n4, and a block slashes it`, () => {
    const { judged, honest } = run({ byzantine: '1', strategy, 'tx-interval': '0' });
    assert.equal(judged.verdict, 'valid', judged.judgement?.message);
    for (const v of honest) assert.deepEqual(v.evidenceAgainst(), ['n4']);
    const slashedOnChain = honest.some((v) =>
      v
        .blockRoots()
        .some((r) => (v.blockOf(r)?.slashings ?? []).some((e) => e.a.validator === 'n4')),
    );
    assert.ok(slashedOnChain, 'a proposer included the evidence');
  });
}

test('withhold: a silent quarter of the stake does not stop finality', () => {
  const { judged, honest } = run(
    { byzantine: '1', strategy: 'withhold', 'tx-interval': '0' },
    16_000,
  );
  assert.equal(judged.verdict, 'valid', judged.judgement?.message);
  assert.ok(honest.every((v) => v.finalizedCheckpoint().epoch >= 3));
});

test('bad parameters are usage errors with a code', () => {
  const build = (params: Record<string, string>) =>
    eth.createNode({ params, cluster: ['n1', 'n2', 'n3', 'n4'] });
  assert.throws(
    () => build({ strategy: 'bribe', byzantine: '1' }),
    (e) => e instanceof EthParamError && e.code === 'strategy',
  );
  assert.throws(
    () => build({ strategy: 'withhold' }),
    (e) => e instanceof EthParamError && e.code === 'byzantine',
  );
  assert.throws(
    () => build({ byzantine: '5' }),
    (e) => e instanceof EthParamError && e.code === 'number',
  );
  assert.throws(
    () => build({ stakes: '32,32' }),
    (e) => e instanceof EthParamError && e.code === 'stakes',
  );
  assert.throws(
    () => build({ colour: 'red' }),
    (e) => e instanceof EthParamError && e.code === 'unknown',
  );
});

test('every message validators send, equivocating ones included, under every fault, passes the schema', () => {
  const problems: string[] = [];
  const kinds = new Set<string>();
  const checking: SystemDefinition = {
    ...eth,
    createNode: (options) => (env) =>
      eth.createNode(options)(
        new Proxy(env, {
          get(target, key, receiver) {
            if (key === 'send') {
              return (to: string, msg: { type: string }) => {
                kinds.add(msg.type);
                const why = eth.checkMessage!(msg, env.cluster);
                if (why !== undefined) problems.push(`${msg.type}: ${why}`);
                target.send(to, msg);
              };
            }
            const value: unknown = Reflect.get(target, key, receiver);
            return typeof value === 'function' ? value.bind(target) : value;
          },
        }) as NodeEnv,
      ),
  };
  const session = new Session({
    system: checking,
    seed: 2,
    nodes: 4,
    nemesis: 'all',
    params: { byzantine: '1', strategy: 'equivocate', 'tx-interval': '500' },
    workload: { durationMs: 6000 },
  });
  session.runToEnd();
  assert.deepEqual(problems, []);
  assert.deepEqual([...kinds].sort(), ['att', 'block', 'get-block', 'slashing', 'tx']);
  assert.match(
    eth.checkMessage!({ type: 'att', att: { validator: 'n9' } }, ['n1', 'n2']) ?? '',
    /validator/,
  );
});
