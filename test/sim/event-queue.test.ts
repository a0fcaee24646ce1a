import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventQueue } from '../../src/sim/event-queue.js';
import { Sfc32 } from '../../src/core/random.js';

test('events come out by time, then in the order they were scheduled', () => {
  const q = new EventQueue();
  const r = new Sfc32(5);
  const pushed: { time: number; seq: number }[] = [];
  for (let i = 0; i < 2000; i++) {
    const time = r.int(50); // many ties
    const ev = q.push(time, -1, -1, () => {});
    pushed.push({ time, seq: ev.seq });
  }
  const out: { time: number; seq: number }[] = [];
  for (let ev = q.pop(); ev !== undefined; ev = q.pop()) out.push({ time: ev.time, seq: ev.seq });
  pushed.sort((a, b) => a.time - b.time || a.seq - b.seq);
  assert.deepEqual(out, pushed);
  assert.equal(q.peekTime(), Infinity);
});
