/**
 * Where each experiment's claim comes from must be findable: a seed quote is the case studies'
 * words exactly, under a heading that exists; a paper names its result. The case studies are
 * not in the repository: TRUTHKIT_SEED names the file (default: the shared planners' copy), and
 * the verbatim check is skipped when it is absent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { experiments } from '../../src/experiments/registry.js';

const SEED = process.env.TRUTHKIT_SEED ?? '/work/shared/seed/truth-and-consensus-examples.md';
const seedText = existsSync(SEED) ? readFileSync(SEED, 'utf8') : undefined;

/** The seed's headings, without their '#'s, emoji and spacing. */
const headings = (text: string): string[] =>
  text
    .split('\n')
    .filter((l) => /^#{1,6} /.test(l))
    .map((l) =>
      l
        .replace(/^#+\s*/, '')
        .replace(/^[^\p{L}\p{N}]+/u, '')
        .trim(),
    );

test('every source is complete: a seed quote has a section and words, a paper a citation and a result', () => {
  for (const e of experiments()) {
    for (const s of e.sources ?? []) {
      if (s.kind === 'seed') {
        assert.ok(
          s.section.trim() !== '' && s.quote.trim() !== '',
          `${e.name}: ${JSON.stringify(s)}`,
        );
      } else {
        assert.ok(s.cite.trim() !== '' && s.where.trim() !== '', `${e.name}: ${JSON.stringify(s)}`);
        assert.match(s.cite, /(19|20)\d\d/, `${e.name}: a citation has its year: ${s.cite}`);
      }
    }
  }
});

test(
  "every seed quote is the case studies' words, verbatim, under a heading that exists",
  { skip: seedText === undefined ? `${SEED} is absent` : false },
  () => {
    const text = seedText as string;
    const known = headings(text);
    for (const e of experiments()) {
      for (const s of e.sources ?? []) {
        if (s.kind !== 'seed') continue;
        assert.ok(text.includes(s.quote), `${e.name}: not verbatim in the seed: ${s.quote}`);
        assert.ok(
          known.includes(s.section.trim()),
          `${e.name}: no section "${s.section}" (sections: ${known.join(' | ')})`,
        );
      }
    }
  },
);
