/**
 * The load both clusters get, through the same unchanged `etcd3` client: N puts with a bounded
 * number in flight, then N linearizable gets of the same keys. Latency is measured per call
 * from the client's side.
 */
import { Etcd3 } from 'etcd3';
import { performance } from 'node:perf_hooks';
import { percentile } from '../../src/sim/stats.js';

export interface LoadSpec {
  readonly ops: number;
  readonly inFlight: number;
  readonly keyBytes: number;
  readonly valueBytes: number;
}

export interface PhaseResult {
  readonly ops: number;
  readonly errors: number;
  readonly seconds: number;
  readonly opsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** CPU time per operation of all the members together, and of this client process. */
  readonly serverCpuMsPerOp: number;
  readonly clientCpuMsPerOp: number;
}

/** A fixed-width key, e.g. `k/000000001234/..` padded to `bytes`. */
function keyFor(i: number, bytes: number): string {
  const k = `k/${String(i).padStart(12, '0')}`;
  return k.length >= bytes ? k.slice(0, bytes) : k.padEnd(bytes, '.');
}

async function phase(
  count: number,
  inFlight: number,
  serverCpuMs: () => number,
  call: (i: number) => Promise<unknown>,
): Promise<PhaseResult> {
  const latencies: number[] = [];
  let next = 0;
  let errors = 0;
  const server0 = serverCpuMs();
  const client0 = process.cpuUsage();
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      const t0 = performance.now();
      try {
        await call(i);
        latencies.push(performance.now() - t0);
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const seconds = (performance.now() - started) / 1000;
  const client = process.cpuUsage(client0);
  return {
    ops: latencies.length,
    errors,
    seconds,
    opsPerSec: latencies.length / seconds,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    serverCpuMsPerOp: (serverCpuMs() - server0) / count,
    clientCpuMsPerOp: (client.user + client.system) / 1000 / count,
  };
}

/**
 * The puts, then the gets, through a new client. `firstKey` numbers the keys, so a second pass
 * on the same cluster writes new keys rather than overwriting the first pass's.
 */
export async function runLoad(
  endpoints: readonly string[],
  spec: LoadSpec,
  firstKey = 0,
  serverCpuMs: () => number = () => NaN,
): Promise<{ put: PhaseResult; get: PhaseResult }> {
  const client = new Etcd3({ hosts: endpoints.map((e) => `http://${e}`) });
  const value = 'v'.repeat(spec.valueBytes);
  const key = (i: number): string => keyFor(firstKey + i, spec.keyBytes);
  try {
    const put = await phase(spec.ops, spec.inFlight, serverCpuMs, async (i) => {
      await client.put(key(i)).value(value);
    });
    const get = await phase(spec.ops, spec.inFlight, serverCpuMs, async (i) => {
      const v = await client.get(key(i)).string();
      if (v !== value) throw new Error(`get ${key(i)}: wrong value`);
    });
    return { put, get };
  } finally {
    client.close();
  }
}
