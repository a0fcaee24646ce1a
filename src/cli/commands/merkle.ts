/**
 * `truthkit merkle`: Bitcoin-shaped Merkle trees.
 *   merkle root --bitcoin <txid…>                the block's Merkle root from its txids
 *   merkle root|prove [--file F | <leaf…>]        over data leaves (a file's lines, or arguments)
 *   merkle verify --root R --proof P (--leaf TEXT | --txid HEX)
 * Data leaves are hashed like transactions (double SHA-256); --bitcoin leaves are txids as
 * explorers show them. Hashes print in display order, like txids.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { fromDisplayHex, toDisplayHex } from '../../protocols/nakamoto/bytes.js';
import { merkleRoot } from '../../protocols/nakamoto/merkle.js';
import {
  leafHash,
  merkleProof,
  proofFromJson,
  proofToJson,
  verifyMerkleProof,
  type MerkleProofJson,
} from '../../protocols/nakamoto/merkle-proof.js';
import type { CliIo } from '../cli-io.js';
import { intIn } from '../option-parsers.js';
import { EXIT, UsageError } from '../usage-error.js';
import { usage } from './chain.js';

interface LeafFlags {
  bitcoin?: boolean;
  file?: string;
  json?: boolean;
}

function leavesFrom(args: readonly string[], flags: LeafFlags): Uint8Array[] {
  if (flags.file !== undefined && args.length > 0) {
    throw new UsageError('give leaves either as arguments or with --file, not both');
  }
  let items: string[] = [...args];
  if (flags.file !== undefined) {
    let text: string;
    try {
      text = readFileSync(flags.file, 'utf8');
    } catch (e) {
      throw new UsageError(`cannot read ${flags.file}: ${(e as Error).message}`);
    }
    items = text.split('\n');
    if (items[items.length - 1] === '') items.pop(); // a final newline ends the last line
  }
  if (items.length === 0) throw new UsageError('no leaves: give txids/leaves or --file');
  return flags.bitcoin
    ? items.map((t, i) => usage(() => fromDisplayHex(t.trim(), `txid ${i + 1}`)))
    : items.map(leafHash);
}

function parseProof(text: string): MerkleProofJson {
  let raw: string = text;
  if (!text.trim().startsWith('{')) {
    try {
      raw = readFileSync(text, 'utf8');
    } catch (e) {
      throw new UsageError(`--proof is neither JSON nor a readable file: ${(e as Error).message}`);
    }
  }
  let j: unknown;
  try {
    j = JSON.parse(raw);
  } catch {
    throw new UsageError('--proof is not valid JSON');
  }
  const p = j as Partial<MerkleProofJson>;
  if (
    typeof p !== 'object' ||
    p === null ||
    !Number.isInteger(p.index) ||
    !Number.isInteger(p.leafCount) ||
    !Array.isArray(p.siblings) ||
    !p.siblings.every((s) => typeof s === 'string')
  ) {
    throw new UsageError('--proof needs {index, leafCount, siblings: [hex…]}');
  }
  return p as MerkleProofJson;
}

export function merkleCommand(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const merkle = program
    .command('merkle')
    .description('Merkle roots and inclusion proofs, Bitcoin style');

  merkle
    .command('root')
    .description('the Merkle root of txids (--bitcoin) or of data leaves')
    .argument('[leaves...]', 'txids (with --bitcoin) or leaf strings')
    .option('--bitcoin', 'leaves are txids in display order, as in a block')
    .option('--file <path>', "leaves are the file's lines")
    .option('--json', 'print one JSON object')
    .action((args: string[], flags: LeafFlags) => {
      const r = merkleRoot(leavesFrom(args, flags));
      const root = toDisplayHex(r.root);
      if (flags.json) return io.out(JSON.stringify({ root, mutated: r.mutated }) + '\n');
      io.out(
        `${root}${r.mutated ? '  (mutated: two equal hashes paired — CVE-2012-2459 shape)' : ''}\n`,
      );
    });

  merkle
    .command('prove')
    .description('an inclusion proof for leaf number --index (from 0)')
    .argument('[leaves...]', 'txids (with --bitcoin) or leaf strings')
    .requiredOption('--index <i>', 'which leaf, from 0', intIn(0, 2 ** 31))
    .option('--bitcoin', 'leaves are txids in display order, as in a block')
    .option('--file <path>', "leaves are the file's lines")
    .option('--json', 'print one JSON object (the default: a proof is for machines)')
    .action((args: string[], flags: LeafFlags & { index: number }) => {
      const leaves = leavesFrom(args, flags);
      if (flags.index >= leaves.length) {
        throw new UsageError(`--index ${flags.index} is outside 0..${leaves.length - 1}`);
      }
      const proof = merkleProof(leaves, flags.index);
      const out = {
        root: toDisplayHex(merkleRoot(leaves).root),
        leaf: toDisplayHex(leaves[flags.index] as Uint8Array),
        ...proofToJson(proof),
      };
      io.out(JSON.stringify(out) + '\n');
    });

  merkle
    .command('verify')
    .description('check an inclusion proof against a root (exit 0 included, 1 not)')
    .requiredOption('--proof <json|file>', 'the proof, as `merkle prove` prints it')
    .option('--root <hex>', "the root to check against (default: the proof's own `root`)")
    .option('--leaf <text>', 'the data leaf to prove')
    .option('--txid <hex>', 'the txid to prove (display order)')
    .option('--json', 'print one JSON object')
    .action(
      (flags: { proof: string; root?: string; leaf?: string; txid?: string; json?: boolean }) => {
        const pj = parseProof(flags.proof) as MerkleProofJson & { root?: string; leaf?: string };
        if ((flags.leaf === undefined) === (flags.txid === undefined) && pj.leaf === undefined) {
          throw new UsageError('give exactly one of --leaf and --txid');
        }
        const rootHex = flags.root ?? pj.root;
        if (rootHex === undefined) throw new UsageError('no root: give --root or a proof with one');
        const root = usage(() => fromDisplayHex(rootHex, 'root'));
        const leaf =
          flags.leaf !== undefined
            ? leafHash(flags.leaf)
            : usage(() => fromDisplayHex((flags.txid ?? pj.leaf) as string, 'txid'));
        const proof = usage(() => proofFromJson(pj));
        const r = verifyMerkleProof(root, leaf, proof);
        if (!r.ok) setExit(EXIT.invalid);
        if (flags.json) return io.out(JSON.stringify(r.ok ? { ok: true } : r) + '\n');
        io.out(r.ok ? 'included\n' : `not included: ${r.reason}\n`);
      },
    );
}
