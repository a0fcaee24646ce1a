/**
 * The answers to ZooKeeper's four-letter words, in the layout its own server prints (tools
 * such as zkCli's `srvr` readers, monitoring scripts and kazoo's `command()` parse these
 * lines). Each answer is the whole response: the server closes the connection after it.
 */
import type { BackendInfo } from './backend.js';
import type { FourLetterWord } from './packets.js';

export const SERVER_VERSION = '3.8.4-truthkit, built on truthkit';

export interface ConnectionStat {
  readonly remote: string;
  readonly received: number;
  readonly sent: number;
  readonly queued: number;
}

export interface FrontStats {
  readonly received: number;
  readonly sent: number;
  readonly outstanding: number;
  readonly latencyMinMs: number;
  readonly latencyAvgMs: number;
  readonly latencyMaxMs: number;
  readonly lastZxid: bigint;
  readonly connections: readonly ConnectionStat[];
  readonly readOnly: boolean;
}

function hexZxid(z: bigint): string {
  return `0x${z.toString(16)}`;
}

function srvr(f: FrontStats, b: BackendInfo): string[] {
  return [
    `Latency min/avg/max: ${f.latencyMinMs}/${f.latencyAvgMs.toFixed(4)}/${f.latencyMaxMs}`,
    `Received: ${f.received}`,
    `Sent: ${f.sent}`,
    `Connections: ${f.connections.length}`,
    `Outstanding: ${f.outstanding}`,
    `Zxid: ${hexZxid(f.lastZxid)}`,
    `Mode: ${b.mode}`,
    `Node count: ${b.nodeCount}`,
  ];
}

export function fourLetterAnswer(word: FourLetterWord, f: FrontStats, b: BackendInfo): string {
  switch (word) {
    case 'ruok':
      return 'imok';
    case 'isro':
      return f.readOnly ? 'ro' : 'rw';
    case 'srvr':
      return [`Zookeeper version: ${SERVER_VERSION}`, ...srvr(f, b)].join('\n') + '\n';
    case 'stat': {
      const clients = f.connections.map(
        (c) => ` ${c.remote}[1](queued=${c.queued},recved=${c.received},sent=${c.sent})`,
      );
      return (
        [`Zookeeper version: ${SERVER_VERSION}`, 'Clients:', ...clients, '', ...srvr(f, b)].join(
          '\n',
        ) + '\n'
      );
    }
    case 'mntr': {
      const rows: [string, string | number][] = [
        ['zk_version', SERVER_VERSION],
        ['zk_server_state', b.mode],
        ['zk_avg_latency', f.latencyAvgMs.toFixed(4)],
        ['zk_max_latency', f.latencyMaxMs],
        ['zk_min_latency', f.latencyMinMs],
        ['zk_packets_received', f.received],
        ['zk_packets_sent', f.sent],
        ['zk_num_alive_connections', f.connections.length],
        ['zk_outstanding_requests', f.outstanding],
        ['zk_znode_count', b.nodeCount],
        ['zk_watch_count', b.watchCount],
        ['zk_ephemerals_count', b.ephemeralsCount],
        ['zk_approximate_data_size', b.approximateDataSize],
      ];
      return rows.map(([k, v]) => `${k}\t${v}`).join('\n') + '\n';
    }
  }
}
