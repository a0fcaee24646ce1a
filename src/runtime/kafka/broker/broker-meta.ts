/**
 * The broker's own durable facts, outside the partition logs: which topics exist (their partition
 * counts and configs), how many times the broker has started (its incarnation, part of every
 * consumer group member id it hands out, so a restarted broker never reuses an old one), and the
 * first producer id not yet reserved. Kafka keeps the first in its metadata quorum (ZooKeeper or
 * KRaft) and the last in a producer id block it claims there; one broker keeps them in one JSON
 * file, replaced atomically (write, fsync, rename, fsync the directory) before anything that
 * depends on it is answered.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { fsyncDirectory } from '../segment-checkpoint.js';
import type { TopicConfig } from './topic-config.js';

export const META_FILE = 'truthkit-broker.json';
const VERSION = 1;

export interface TopicMeta {
  readonly name: string;
  readonly partitions: number;
  readonly config: TopicConfig;
}

export interface BrokerMeta {
  readonly incarnation: number;
  /** Producer ids below this may have been handed out; the next block starts here. */
  readonly nextProducerId: number;
  readonly topics: readonly TopicMeta[];
}

export class BrokerMetaError extends Error {
  readonly code = 'bad-broker-meta';
  constructor(message: string) {
    super(message);
    this.name = 'BrokerMetaError';
  }
}

function int(x: unknown, what: string, min: number): number {
  if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < min) {
    throw new BrokerMetaError(`${META_FILE}: ${what} is not an integer >= ${min}`);
  }
  return x;
}

function parse(text: string): BrokerMeta {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new BrokerMetaError(`${META_FILE}: not JSON (${(e as Error).message})`);
  }
  if (typeof raw !== 'object' || raw === null)
    throw new BrokerMetaError(`${META_FILE}: not an object`);
  const o = raw as Record<string, unknown>;
  if (o.version !== VERSION)
    throw new BrokerMetaError(`${META_FILE}: unknown version ${String(o.version)}`);
  if (!Array.isArray(o.topics)) throw new BrokerMetaError(`${META_FILE}: topics is not a list`);
  const topics = (o.topics as unknown[]).map((t, i): TopicMeta => {
    if (typeof t !== 'object' || t === null)
      throw new BrokerMetaError(`${META_FILE}: topic ${i} is not an object`);
    const r = t as Record<string, unknown>;
    const c = r.config as Record<string, unknown> | null;
    if (typeof r.name !== 'string' || typeof c !== 'object' || c === null) {
      throw new BrokerMetaError(`${META_FILE}: topic ${i} lacks a name or config`);
    }
    return {
      name: r.name,
      partitions: int(r.partitions, `topic ${r.name} partitions`, 1),
      config: {
        retentionMs: int(c.retentionMs, `topic ${r.name} retentionMs`, -1),
        retentionBytes: int(c.retentionBytes, `topic ${r.name} retentionBytes`, -1),
        segmentBytes: int(c.segmentBytes, `topic ${r.name} segmentBytes`, 1),
        segmentMs: int(c.segmentMs, `topic ${r.name} segmentMs`, 1),
      },
    };
  });
  return {
    incarnation: int(o.incarnation, 'incarnation', 0),
    nextProducerId: int(o.nextProducerId, 'nextProducerId', 0),
    topics,
  };
}

/** The meta file of data dir `dir`, or a fresh one when the dir has none. */
export function readBrokerMeta(dir: string): BrokerMeta {
  const path = join(dir, META_FILE);
  rmSync(path + '.tmp', { force: true });
  if (!existsSync(path)) return { incarnation: 0, nextProducerId: 0, topics: [] };
  return parse(readFileSync(path, 'utf8'));
}

export function writeBrokerMeta(dir: string, meta: BrokerMeta): void {
  const path = join(dir, META_FILE);
  const bytes = Buffer.from(JSON.stringify({ version: VERSION, ...meta }, null, 1) + '\n');
  const tmp = path + '.tmp';
  const fd = openSync(tmp, 'w', 0o644);
  try {
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  fsyncDirectory(dir);
}
