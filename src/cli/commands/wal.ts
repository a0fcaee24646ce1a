/**
 * `truthkit wal repair DIR`: cuts a node's damaged write-ahead log at its first damaged record,
 * on purpose, after a node refused to start on it, and says what the cut loses.
 */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { repairWal, WalRepairError } from '../../runtime/wal-repair.js';
import { WAL_FILE, WalLockedError } from '../../runtime/wal.js';
import type { CliIo } from '../cli-io.js';
import { EXIT, UsageError } from '../usage-error.js';

export function walCommand(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const wal = program.command('wal').description("a node's write-ahead log");
  wal
    .command('repair')
    .description(
      'cut a damaged log at its first damaged record (losing it and all after it); the ' +
        'original is kept beside it',
    )
    .argument('<dir>', `a node's data directory (holding ${WAL_FILE}), or the log file`)
    .option('--json', 'print one JSON object')
    .action((dir: string, flags: { json?: boolean }) => {
      const file = dir.endsWith(WAL_FILE) ? dir : `${dir}/${WAL_FILE}`;
      if (!existsSync(file)) throw new UsageError(`no write-ahead log at ${file}`);
      let r;
      try {
        r = repairWal(dir);
      } catch (e) {
        if (!(e instanceof WalRepairError || e instanceof WalLockedError)) throw e;
        io.err(`truthkit: ${e.message}\n`);
        setExit(EXIT.invalid);
        return;
      }
      if (flags.json) {
        io.out(JSON.stringify(r) + '\n');
        return;
      }
      if (!r.repaired) {
        io.out(`${r.file}: intact (${r.records} records); nothing changed\n`);
        return;
      }
      const lines: string[] = [];
      const c = r.cut;
      if (c !== undefined) {
        const l = c.lost;
        lines.push(
          `${r.file}: ${c.reason} at offset ${c.at}; cut ${c.bytes} bytes there`,
          `lost: the damaged record and ${l.records} intact record(s) after it` +
            (l.records > 0
              ? ` (${l.entries} log entries, puts of ${l.keys.length} key(s)` +
                (l.keys.length > 0 ? `: ${l.keys.slice(0, 10).join(', ')}` : '') +
                (l.keys.length > 10 ? ', …' : '') +
                `, ${l.otherOps} other op(s))`
              : ''),
          `the file as it was is in ${c.backup}`,
        );
      }
      const m = r.markLowered;
      if (m !== undefined) {
        lines.push(
          `${r.file}: ${Number.isFinite(m.from) ? `${m.from - m.to} bytes that were durable are gone (the log was cut or replaced); ` : 'its durable mark was damaged; '}` +
            `the durable mark is now ${m.to}`,
        );
      }
      lines.push(
        `kept: ${r.records} records`,
        'Whatever was lost may have been acknowledged to clients: a member of a cluster catches ' +
          'up from its peers; a lone node has lost it.',
      );
      io.out(lines.join('\n') + '\n');
    });
}
