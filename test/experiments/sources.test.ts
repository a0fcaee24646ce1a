/**
 * Where each experiment's claim comes from must be findable: a seed quote is the case studies'
 * words exactly, under a heading that exists; a paper names its result. The case studies are
 * copied into test/fixtures/seed/ (see its README); TRUTHKIT_SEED may name another copy.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { experiments } from '../../src/experiments/registry.js';

const SEED =
  process.env.TRUTHKIT_SEED ??
  new URL('../../../test/fixtures/seed/truth-and-consensus-examples.md', import.meta.url);
const seedText = readFileSync(SEED, 'utf8');

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

test('every experiment names at least one source', () => {
  for (const e of experiments()) {
    assert.ok(e.sources.length > 0, `${e.name} names no source`);
  }
});

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

test("every seed quote is the case studies' words, verbatim, under a heading that exists", () => {
  const text = seedText;
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
});
