/** What is hashed and signed: fixed-order encodings, independent of how an object's keys were built. */
import { sha256Hex } from './crypto.js';
import type { AttestationData, BeaconBlock, Checkpoint, ExecutionPayload } from './types.js';

function cp(c: Checkpoint): [number, string] {
  return [c.epoch, c.root];
}

export function attestationText(d: AttestationData): string {
  return JSON.stringify(['att', d.slot, d.head, cp(d.source), cp(d.target)]);
}

function payloadFields(p: ExecutionPayload): unknown[] {
  return [
    p.number,
    p.timestamp,
    p.coinbase,
    p.baseFee,
    p.gasLimit,
    p.gasUsed,
    p.txs,
    p.stateRoot,
    p.receiptsRoot,
  ];
}

/** The block's root: everything but its own signature. */
export function blockRoot(b: Omit<BeaconBlock, 'sig'>): string {
  return sha256Hex(
    JSON.stringify([
      'block',
      b.slot,
      b.parent,
      b.proposer,
      b.randaoReveal,
      b.attestations.map((a) => [a.validator, attestationText(a.data), a.sig]),
      b.slashings.map((s) => [
        [s.a.validator, attestationText(s.a.data), s.a.sig],
        [s.b.validator, attestationText(s.b.data), s.b.sig],
      ]),
      payloadFields(b.payload),
    ]),
  );
}

export function randaoText(epoch: number): string {
  return `randao:${epoch}`;
}
