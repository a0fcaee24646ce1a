/** The HTML report: self-contained, and marking what the evidence says. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkHistory, registerModel, renderReport } from '../../src/check/index.js';
import { history } from './helpers.js';

const ops = history(
  { process: 0, f: 'write', value: 1, invoke: 0, complete: 1 },
  { process: 1, f: 'write', value: 2, invoke: 2, complete: 3 },
  { process: 2, f: 'read', result: 1, invoke: 4, complete: 5 },
  { process: 3, f: 'write', value: '<b>&', invoke: 0, complete: 9, outcome: 'unknown' },
  { process: 4, f: 'write', value: 7, invoke: 0, complete: 1, outcome: 'fail' },
);

describe('HTML report', () => {
  const result = checkHistory(ops, registerModel);
  const html = renderReport(result, ops, registerModel, { title: 'report <test>' });

  test('is one self-contained document', () => {
    assert.match(html, /^<!DOCTYPE html>/);
    assert.match(html, /<style>/);
    assert.match(html, /<svg /);
    // Nothing fetched from anywhere: no scripts, stylesheets, images, fonts or URLs.
    assert.doesNotMatch(html, /<script|<link|<img|@import|url\((?!#)|https?:\/\//i);
  });

  test('escapes everything taken from the history', () => {
    assert.ok(html.includes('report &#60;test&#62;'));
    assert.ok(!html.includes('<b>&'));
    assert.ok(html.includes('&#60;b&#62;&#38;'));
  });

  test('draws a lane per client and marks each operation by its role', () => {
    for (const p of [0, 1, 2, 3, 4]) assert.ok(html.includes(`>client ${p}</text>`), `lane ${p}`);
    const bars = (role: string) =>
      (html.match(new RegExp(`<rect class="${role}"`, 'g')) ?? []).length - 1; // minus the legend's
    assert.equal(bars('blocked'), result.evidence?.blocked.length);
    assert.equal(bars('placed'), result.evidence?.prefix.length);
    assert.ok(html.includes('>1. write 1</text>'), 'placed operations are numbered');
    assert.match(html, /<rect class="unknown"/);
    assert.match(html, /<rect class="failed"/);
    assert.match(html, /✗ Not linearizable/);
    assert.match(html, /✗ #2 client 2: <code>read → 1<\/code> — impossible when the state is 2/);
  });

  test('a valid history gets a verdict and a plain timeline', () => {
    const valid = ops.slice(0, 2);
    const page = renderReport(checkHistory(valid, registerModel), valid, registerModel);
    assert.match(page, /✓ Linearizable/);
    assert.equal((page.match(/<rect class="blocked"/g) ?? []).length, 1, 'only the legend');
    assert.equal((page.match(/<rect class="other"/g) ?? []).length, 1 + valid.length);
  });
});
