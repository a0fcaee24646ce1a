/** `npm run bench`: every benchmark, one after the other, on this machine. Never part of the tests. */
import { run as simulator } from './simulator.js';
import { run as checker } from './checker.js';
import { run as sha256 } from './sha256.js';
import { run as raft } from './raft.js';
import { run as startup } from './startup.js';
import { run as messageSchemas } from './message-schemas.js';
import { run as snapshotStream } from './snapshot-stream.js';
import { run as mutantCatch } from './mutant-catch.js';

await simulator();
console.log('');
await checker();
console.log('');
await raft();
console.log('');
await sha256();
console.log('');
await startup();
console.log('');
messageSchemas();
console.log('');
await mutantCatch();
console.log('');
(await import('./txn-check.js')).run();
console.log('');
// A 1.1 GiB store in a real cluster: minutes and gigabytes of disk (SNAP_BENCH_MB=0 skips it).
await snapshotStream();
