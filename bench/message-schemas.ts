/**
 * What checking a peer's message against its system's schema costs on the receive path: for each
 * system, the messages one simulated run sends (seed 1, every fault) are collected, then checked
 * 100,000 times in turn. Printed as ns per message, with the mean message size for scale and,
 * for comparison, what JSON.parse of the same message's encoding costs (the transport pays that
 * on every frame anyway).
 *
 * Run alone: node dist/bench/message-schemas.js
 */
import { fileURLToPath } from 'node:url';
import type { Message, NodeEnv } from '../src/core/node.js';
import type { SystemDefinition } from '../src/core/system.js';
import '../src/protocols/pbft/ed25519.js';
import { runSimulation } from '../src/sim/run.js';
import { systems } from '../src/systems/index.js';

const CHECKS = 100_000;

/** The messages a seeded run of `system` sends, with the cluster they were sent in. */
function sample(system: SystemDefinition): { msgs: Message[]; cluster: readonly string[] } {
  const msgs: Message[] = [];
  let cluster: readonly string[] = [];
  runSimulation({
    system: {
      ...system,
      createNode(options) {
        const make = system.createNode(options);
        return (env: NodeEnv) => {
          cluster = env.cluster;
          const recording = Object.create(env) as NodeEnv;
          recording.send = (to, msg) => {
            if (msgs.length < 5000) msgs.push(msg);
            env.send(to, msg);
          };
          return make(recording);
        };
      },
    },
    seed: 1,
    nemesis: 'all',
    ...(system.workload === 'none' ? {} : { workload: { ops: 100 } }),
  });
  return { msgs, cluster };
}

function nsPer(fn: (i: number) => unknown): number {
  for (let i = 0; i < 2000; i++) fn(i); // warm up
  const start = process.hrtime.bigint();
  for (let i = 0; i < CHECKS; i++) fn(i);
  return Number(process.hrtime.bigint() - start) / CHECKS;
}

export function run(): void {
  console.log(`peer-message schema checks: ns per message over ${CHECKS} checks of real messages`);
  console.log('system            msgs  bytes/msg  check ns  JSON.parse ns');
  for (const system of systems()) {
    const check = system.checkMessage;
    if (check === undefined) continue;
    const { msgs, cluster } = sample(system);
    if (msgs.length === 0) continue;
    const texts = msgs.map((m) => JSON.stringify(m));
    const bytes = texts.reduce((a, t) => a + t.length, 0) / texts.length;
    let refused = 0;
    const checkNs = nsPer((i) => {
      if (check(msgs[i % msgs.length], cluster) !== undefined) refused++;
    });
    const parseNs = nsPer((i) => JSON.parse(texts[i % texts.length] as string));
    if (refused > 0) throw new Error(`${system.name}: ${refused} of its own messages refused`);
    console.log(
      `${system.name.padEnd(16)} ${String(msgs.length).padStart(5)} ${bytes.toFixed(0).padStart(10)}` +
        ` ${checkNs.toFixed(0).padStart(9)} ${parseNs.toFixed(0).padStart(14)}`,
    );
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) run();
