/** `npm run bench`: every benchmark, one after the other, on this machine. Never part of the tests. */
import { run as simulator } from './simulator.js';
import { run as checker } from './checker.js';
import { run as sha256 } from './sha256.js';

await simulator();
console.log('');
await checker();
console.log('');
await sha256();
