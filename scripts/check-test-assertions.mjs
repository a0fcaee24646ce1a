#!/usr/bin/env node
/**
 * Flags tests that assert nothing: a `test(...)`/`it(...)` whose body, followed through the
 * helpers it calls, never reaches an assertion passes whatever the code does.
 *
 * Usage: node scripts/check-test-assertions.mjs [file-or-folder ...]   (default: test/)
 * Exit status 1 and one line per offending test when any is found; 0 otherwise.
 *
 * The rule (docs/testing.md, "No vacuous assertions"). A test body asserts when it contains,
 * anywhere (nested callbacks included):
 *   - a call through `assert` (`assert(...)`, `assert.equal(...)`, `t.assert.ok(...)`, or a
 *     name imported from node:assert) or through `expect(...)`;
 *   - a call to a function or method whose name starts with `assert` or `expect`
 *     (`c.assertNoViolation()`, `expectFlagged(...)`), wherever it is defined;
 *   - a `throw` statement, or `t.plan(n)`;
 *   - a call to a function or method defined in this file or in a test module it imports by a
 *     relative path (followed transitively) whose own body asserts by these same rules;
 *   - a call registering subtests (`t.test(...)`), which are checked themselves.
 * Exempt: `test.skip`/`test.todo`/`it.skip`/`it.todo`; a test with an empty body `() => {}` and
 * a `skip` or `todo` option (a placeholder that reports a skip); and a test carrying the comment
 * `// no-assert: <reason>` on the line above it or inside it, for the rare test whose point is
 * that a call completes (say so in the reason).
 *
 * Wrappers are followed: a function that passes one of its parameters to `test(...)` as the
 * body (`function withEtcd(name, fn) { test(name, opts, fn) }`) makes its own calls tests.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const ASSERTING_NAME = /^(assert|expect)/;
const TEST_NAMES = new Set(['test', 'it']);
const EXEMPT_MODIFIERS = new Set(['skip', 'todo']);
const NO_ASSERT = /\/\/[ \t]*no-assert:[ \t]*\S/;

/** @param {string} path @returns {string[]} */
function tsFiles(path) {
  if (statSync(path).isFile()) return path.endsWith('.ts') ? [path] : [];
  return readdirSync(path, { withFileTypes: true })
    .filter((d) => d.name !== 'node_modules' && !d.name.startsWith('.'))
    .flatMap((d) => tsFiles(join(path, d.name)))
    .sort();
}

/** Parsed modules, by absolute path. @type {Map<string, ts.SourceFile>} */
const parsed = new Map();
/** @param {string} file */
function parse(file) {
  let sf = parsed.get(file);
  if (sf === undefined) {
    sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    parsed.set(file, sf);
  }
  return sf;
}

/** The .ts file a relative import names (`./x.js` → `./x.ts`), if it exists. */
function resolveImport(from, spec) {
  if (!spec.startsWith('.')) return undefined;
  const base = resolve(dirname(from), spec);
  for (const c of [base.replace(/\.js$/, '.ts'), `${base}.ts`, join(base, 'index.ts')]) {
    if (c.endsWith('.ts') && existsSync(c) && statSync(c).isFile()) return c;
  }
  return undefined;
}

/** The name a call's callee ends in (`f` of `a.b.f(...)`), if any. */
function calleeName(call) {
  const c = call.expression;
  if (ts.isIdentifier(c)) return c.text;
  if (ts.isPropertyAccessExpression(c)) return c.name.text;
  return undefined;
}

/** Every identifier and property name along a callee (`t.assert.ok` → t, assert, ok). */
function calleeParts(expr) {
  const parts = [];
  for (let e = expr; ;) {
    if (ts.isIdentifier(e)) {
      parts.push(e.text);
      return parts;
    }
    if (ts.isPropertyAccessExpression(e)) {
      parts.push(e.name.text);
      e = e.expression;
    } else if (ts.isCallExpression(e)) {
      e = e.expression; // expect(x).toBe(y)
    } else if (ts.isNonNullExpression(e) || ts.isParenthesizedExpression(e)) {
      e = e.expression;
    } else {
      return parts;
    }
  }
}

/**
 * What one module offers the rule: its function-like bodies by name, the names it imports
 * from node:assert, and the test modules it imports.
 */
function moduleFacts(file) {
  const sf = parse(file);
  /** @type {Map<string, ts.Node[]>} */
  const bodies = new Map();
  /** Objects whose every member is a function: name → members. @type {Map<string, ts.Node[]>} */
  const tables = new Map();
  const assertAliases = new Set(['assert']);
  /** @type {string[]} */
  const imports = [];
  const add = (name, body) => {
    if (body === undefined) return;
    const list = bodies.get(name) ?? [];
    list.push(body);
    bodies.set(name, list);
  };
  const visit = (node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const spec = node.moduleSpecifier.text;
      const clause = node.importClause;
      if (/^(node:)?assert(\/strict)?$/.test(spec) && clause !== undefined) {
        if (clause.name) assertAliases.add(clause.name.text);
        const nb = clause.namedBindings;
        if (nb && ts.isNamespaceImport(nb)) assertAliases.add(nb.name.text);
        if (nb && ts.isNamedImports(nb))
          for (const el of nb.elements) assertAliases.add(el.name.text);
      }
      const target = resolveImport(file, spec);
      if (target !== undefined) imports.push(target);
    }
    if (ts.isFunctionDeclaration(node) && node.name) add(node.name.text, node.body);
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer) {
      const members = tableMembers(node.initializer);
      if (members !== undefined) tables.set(node.name.text, members);
    }
    if (
      (ts.isMethodDeclaration(node) || ts.isGetAccessorDeclaration(node)) &&
      node.name &&
      (ts.isIdentifier(node.name) || ts.isPrivateIdentifier(node.name))
    ) {
      add(node.name.text, node.body);
    }
    if (
      (ts.isVariableDeclaration(node) ||
        ts.isPropertyAssignment(node) ||
        ts.isPropertyDeclaration(node)) &&
      node.name &&
      ts.isIdentifier(node.name) &&
      node.initializer &&
      (ts.isArrowFunction(node.initializer) || ts.isFunctionExpression(node.initializer))
    ) {
      add(node.name.text, node.initializer.body);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return { sf, bodies, tables, assertAliases, imports };
}

/** The members of an object literal of functions (`{ a: fn, b() {}, c: () => … }`), if it is one. */
function tableMembers(init) {
  let e = init;
  while (ts.isAsExpression(e) || ts.isSatisfiesExpression(e) || ts.isParenthesizedExpression(e)) {
    e = e.expression;
  }
  if (ts.isIdentifier(e)) return [e]; // another name for a table
  if (!ts.isObjectLiteralExpression(e) || e.properties.length === 0) return undefined;
  const members = [];
  for (const p of e.properties) {
    if (ts.isMethodDeclaration(p) && p.body) members.push(p.body);
    else if (ts.isPropertyAssignment(p) && isFunction(p.initializer))
      members.push(p.initializer.body);
    else if (ts.isPropertyAssignment(p) && ts.isIdentifier(p.initializer))
      members.push(p.initializer);
    else if (ts.isShorthandPropertyAssignment(p)) members.push(p.name);
    else return undefined;
  }
  return members;
}

/** @type {Map<string, ReturnType<typeof moduleFacts>>} */
const facts = new Map();
function factsOf(file) {
  let f = facts.get(file);
  if (f === undefined) {
    f = moduleFacts(file);
    facts.set(file, f);
  }
  return f;
}

/** The file and the test modules it reaches by relative imports. */
function closure(file) {
  const seen = new Set([file]);
  const queue = [file];
  while (queue.length > 0) {
    const f = /** @type {string} */ (queue.pop());
    for (const g of factsOf(f).imports) {
      if (!seen.has(g)) {
        seen.add(g);
        queue.push(g);
      }
    }
  }
  return [...seen];
}

/** Does `node` (a body) assert, given the names already known to assert? */
function asserts(node, aliases, assertingNames) {
  let found = false;
  const visit = (n) => {
    if (found) return;
    if (ts.isThrowStatement(n)) {
      found = true;
      return;
    }
    if (ts.isCallExpression(n)) {
      const parts = calleeParts(n.expression);
      const name = calleeName(n);
      if (
        parts.some((p) => aliases.has(p) || p === 'expect') ||
        (name !== undefined &&
          (ASSERTING_NAME.test(name) || assertingNames.has(name) || name === 'plan')) ||
        isSubtest(n) ||
        callsThroughTable(n.expression, assertingNames)
      ) {
        found = true;
        return;
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(node);
  return found;
}

/**
 * A call into a table of scenarios: `SCENARIOS[name](...)`, or `scenario()` where `scenario`
 * is bound by a `for...of` over the table (`Object.entries(SCENARIOS)`), when every function
 * in that table asserts (tables are named in `assertingNames` like functions).
 */
function callsThroughTable(callee, assertingNames) {
  if (ts.isElementAccessExpression(callee)) {
    return ts.isIdentifier(callee.expression) && assertingNames.has(callee.expression.text);
  }
  if (!ts.isIdentifier(callee)) return false;
  for (let n = callee.parent; n !== undefined; n = n.parent) {
    if (ts.isForOfStatement(n) && bindsName(n.initializer, callee.text)) {
      return mentions(n.expression, assertingNames);
    }
  }
  return false;
}

function bindsName(node, name) {
  let found = false;
  const visit = (n) => {
    if (ts.isIdentifier(n) && n.text === name && ts.isBindingElement(n.parent)) found = true;
    if (ts.isIdentifier(n) && n.text === name && ts.isVariableDeclaration(n.parent)) found = true;
    ts.forEachChild(n, visit);
  };
  visit(node);
  return found;
}

function mentions(node, names) {
  let found = false;
  const visit = (n) => {
    if (ts.isIdentifier(n) && names.has(n.text)) found = true;
    ts.forEachChild(n, visit);
  };
  visit(node);
  return found;
}

/** `t.test(...)` inside a test: a subtest, checked on its own. */
function isSubtest(call) {
  const c = call.expression;
  return (
    ts.isPropertyAccessExpression(c) &&
    c.name.text === 'test' &&
    ts.isIdentifier(c.expression) &&
    call.arguments.some(isFunction) // not regex.test(text)
  );
}

const isFunction = (n) => ts.isArrowFunction(n) || ts.isFunctionExpression(n);

/** The names (functions, methods) in `files` whose bodies assert, to a fixpoint. */
function assertingNamesOf(files) {
  const names = new Set();
  for (let changed = true; changed;) {
    changed = false;
    for (const file of files) {
      const { bodies, assertAliases } = factsOf(file);
      for (const [name, list] of bodies) {
        if (names.has(name)) continue;
        if (list.some((b) => asserts(b, assertAliases, names))) {
          names.add(name);
          changed = true;
        }
      }
      // A table asserts when every member does (a member named by reference: its function).
      for (const [name, members] of factsOf(file).tables) {
        if (names.has(name)) continue;
        const each = (m) =>
          ts.isIdentifier(m) ? names.has(m.text) : asserts(m, assertAliases, names);
        if (members.every(each)) {
          names.add(name);
          changed = true;
        }
      }
    }
  }
  return names;
}

/** How a call registers a test: its body argument, or why it is not one to check. */
function testCall(call, wrappers) {
  const c = call.expression;
  let base;
  let modifier;
  if (ts.isIdentifier(c)) base = c.text;
  else if (ts.isPropertyAccessExpression(c) && ts.isIdentifier(c.expression)) {
    if (TEST_NAMES.has(c.expression.text)) {
      base = c.expression.text;
      modifier = c.name.text;
    } else if (isSubtest(call)) {
      base = 'test'; // t.test(...)
    }
  }
  if (base === undefined) return undefined;
  if (TEST_NAMES.has(base)) {
    if (modifier !== undefined && EXEMPT_MODIFIERS.has(modifier)) return { exempt: true };
    if (modifier !== undefined && modifier !== 'only') return undefined;
    const fn = [...call.arguments]
      .reverse()
      .find(
        (a) =>
          !ts.isObjectLiteralExpression(a) &&
          !ts.isStringLiteralLike(a) &&
          !ts.isTemplateExpression(a),
      );
    const options = call.arguments.find((a) => ts.isObjectLiteralExpression(a));
    return { fn, options };
  }
  const index = wrappers.get(base);
  if (index === undefined) return undefined;
  return { fn: call.arguments[index], options: undefined };
}

/** Functions in `sf` that hand one of their parameters to test(...) as its body. */
function wrappersOf(sf) {
  /** @type {Map<string, number>} */
  const out = new Map();
  const consider = (name, fn) => {
    const params = fn.parameters.map((p) => (ts.isIdentifier(p.name) ? p.name.text : undefined));
    const visit = (n) => {
      if (ts.isCallExpression(n)) {
        const t = testCall(n, new Map());
        const arg = t?.fn;
        if (arg !== undefined && ts.isIdentifier(arg)) {
          const i = params.indexOf(arg.text);
          if (i >= 0) out.set(name, i);
        }
      }
      ts.forEachChild(n, visit);
    };
    if (fn.body) visit(fn.body);
  };
  const visit = (node) => {
    if (ts.isFunctionDeclaration(node) && node.name) consider(node.name.text, node);
    if (
      ts.isVariableDeclaration(node) &&
      ts.isIdentifier(node.name) &&
      node.initializer &&
      (ts.isArrowFunction(node.initializer) || ts.isFunctionExpression(node.initializer))
    ) {
      consider(node.name.text, node.initializer);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

const isEmptyBody = (fn) =>
  (ts.isArrowFunction(fn) || ts.isFunctionExpression(fn)) &&
  ts.isBlock(fn.body) &&
  fn.body.statements.length === 0;

const hasSkipOption = (options) =>
  options !== undefined &&
  options.properties.some(
    (p) => p.name !== undefined && ts.isIdentifier(p.name) && EXEMPT_MODIFIERS.has(p.name.text),
  );

function testName(call, sf) {
  const first = call.arguments[0];
  if (first !== undefined && (ts.isStringLiteralLike(first) || ts.isTemplateExpression(first))) {
    return first.getText(sf).slice(1, -1);
  }
  return '(unnamed)';
}

/** One line per test in `file` that asserts nothing. */
function vacuousTests(file) {
  const files = closure(file);
  const names = assertingNamesOf(files);
  const { sf, bodies, assertAliases } = factsOf(file);
  const wrappers = wrappersOf(sf);
  const text = sf.getFullText();
  /** @type {string[]} */
  const found = [];
  const visit = (node) => {
    if (ts.isCallExpression(node)) {
      const t = testCall(node, wrappers);
      if (t !== undefined && !t.exempt && t.fn !== undefined) {
        const line = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line;
        // The comment goes inside the test or on a line of its own right above it.
        const above =
          line > 0
            ? text.slice(
                sf.getPositionOfLineAndCharacter(line - 1, 0),
                sf.getPositionOfLineAndCharacter(line, 0),
              )
            : '';
        const allowed =
          NO_ASSERT.test(text.slice(node.getStart(sf), node.end)) ||
          (above.trim().startsWith('//') && NO_ASSERT.test(above));
        let ok = allowed || (isEmptyBody(t.fn) && hasSkipOption(t.options));
        if (!ok && (ts.isArrowFunction(t.fn) || ts.isFunctionExpression(t.fn))) {
          ok = asserts(t.fn.body, assertAliases, names);
        } else if (!ok && ts.isIdentifier(t.fn)) {
          // A named body: it asserts if its definition does; a name passed in from outside
          // (a wrapper's parameter) is checked where the wrapper is called.
          ok = names.has(t.fn.text) || (!bodies.has(t.fn.text) && isParameter(t.fn));
        }
        if (!ok) {
          found.push(
            `${relative(process.cwd(), file)}:${line + 1}: test '${testName(node, sf)}' asserts nothing ` +
              `(add the assertion it is about, or '// no-assert: <reason>')`,
          );
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

/** Is `id` a parameter of an enclosing function (a wrapper's body argument)? */
function isParameter(id) {
  for (let n = id.parent; n !== undefined; n = n.parent) {
    if (ts.isFunctionLike(n)) {
      if (n.parameters.some((p) => ts.isIdentifier(p.name) && p.name.text === id.text)) {
        return true;
      }
    }
  }
  return false;
}

function main(args) {
  const roots = args.length > 0 ? args : ['test'];
  const files = roots.flatMap((r) => tsFiles(resolve(r)));
  const found = files.flatMap((f) => vacuousTests(f));
  for (const line of found) console.error(line);
  if (found.length > 0) {
    console.error(
      `${found.length} test(s) assert nothing (rule: scripts/check-test-assertions.mjs)`,
    );
    process.exit(1);
  }
  console.log(`check-test-assertions: ${files.length} files, every test asserts`);
}

main(process.argv.slice(2));
