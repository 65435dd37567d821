// Which thread runs a file is visible from its path (STYLE.md 14), and this test keeps it so. It
// parses every import of engine/ with TypeScript's own parser and applies the rules of the rooms:
//
//   layout/  shared memory formats, their read-only readers, pure shared code (status, types,
//            limits, hashes, the partition function). Imports layout/ only.
//   shard/   what a shard worker thread loads. Imports layout/ and shard/; from front/ types only;
//            never wal/.
//   front/   main-thread code. Imports layout/ and front/; from shard/ and wal/ types only (a
//            worker is started by file name, never by import).
//   wal/     the log-writer worker thread (reserved). Imports layout/ and wal/ only.
//   engine/  files at the top (index.ts, cross-room tests) may import any room.
// And no file of engine/ imports anything outside engine/ by relative path (wire/ imports
// engine/, never the reverse).

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative, sep } from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';

type Room = 'layout' | 'shard' | 'front' | 'wal' | 'top';
const rooms: readonly Room[] = ['layout', 'shard', 'front', 'wal'];

/** For each room: rooms it may import values from, and rooms it may import types from. */
const allowed: Record<Room, { values: readonly Room[]; types: readonly Room[] }> = {
  layout: { values: ['layout'], types: ['layout'] },
  shard: { values: ['layout', 'shard'], types: ['layout', 'shard', 'front'] },
  front: { values: ['layout', 'front'], types: ['layout', 'front', 'shard', 'wal'] },
  wal: { values: ['layout', 'wal'], types: ['layout', 'wal'] },
  top: { values: ['layout', 'shard', 'front', 'wal', 'top'], types: ['layout', 'shard', 'front', 'wal', 'top'] },
};

interface SourceFile {
  /** Path inside engine/, with forward slashes: "front/engine.ts". */
  path: string;
  text: string;
}

interface ImportEdge {
  specifier: string;
  typeOnly: boolean;
}

function roomOf(path: string): Room {
  const first = path.split('/')[0]!;
  return (rooms as readonly string[]).includes(first) && path.includes('/') ? (first as Room) : 'top';
}

/** Every module reference of a file: import/export declarations, import(), require(). */
export function importsOf(file: SourceFile): ImportEdge[] {
  const source = ts.createSourceFile(file.path, file.text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const edges: ImportEdge[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      // `import type {…}`, or `import { type A, type B }` (all type-only: TypeScript elides it).
      const named = clause?.namedBindings;
      const allNamedTypes = named !== undefined && ts.isNamedImports(named) && named.elements.length > 0 && named.elements.every((element) => element.isTypeOnly);
      const typeOnly = clause !== undefined && (clause.isTypeOnly || (clause.name === undefined && allNamedTypes));
      edges.push({ specifier: node.moduleSpecifier.text, typeOnly });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier !== undefined && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.exportClause;
      const allNamedTypes = clause !== undefined && ts.isNamedExports(clause) && clause.elements.length > 0 && clause.elements.every((element) => element.isTypeOnly);
      edges.push({ specifier: node.moduleSpecifier.text, typeOnly: node.isTypeOnly || allNamedTypes });
    } else if (ts.isCallExpression(node) && node.arguments.length === 1 && ts.isStringLiteral(node.arguments[0]!)) {
      const callee = node.expression;
      if (callee.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(callee) && callee.text === 'require')) {
        edges.push({ specifier: (node.arguments[0] as ts.StringLiteral).text, typeOnly: false });
      }
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      edges.push({ specifier: node.argument.literal.text, typeOnly: true });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return edges;
}

/** The rule breaks of a set of engine/ files, one message each. */
export function layeringViolations(files: readonly SourceFile[]): string[] {
  const violations: string[] = [];
  for (const file of files) {
    const from = roomOf(file.path);
    for (const edge of importsOf(file)) {
      if (!edge.specifier.startsWith('.')) continue; // a package or a node: builtin
      const target = posix.normalize(posix.join(posix.dirname(file.path), edge.specifier));
      if (target.startsWith('..')) {
        violations.push(`${file.path} imports ${edge.specifier}: outside engine/ (engine never imports wire/ or any other folder)`);
        continue;
      }
      const to = roomOf(target.endsWith('.ts') ? target : `${target}.ts`);
      const rule = allowed[from];
      const ok = edge.typeOnly ? rule.types.includes(to) : rule.values.includes(to);
      if (!ok) violations.push(`${file.path} imports ${edge.typeOnly ? 'types' : 'values'} from ${to}/ (${edge.specifier})`);
    }
  }
  return violations;
}

function engineRoot(): string {
  // Compiled to dist/engine/; the sources sit two folders up from here, in engine/.
  let folder = __dirname;
  for (let depth = 0; depth < 8; depth++) {
    if (existsSync(join(folder, 'package.json')) && existsSync(join(folder, 'engine', 'index.ts'))) return join(folder, 'engine');
    folder = dirname(folder);
  }
  throw new Error(`no engine/ sources above ${__dirname}`);
}

function engineSources(): SourceFile[] {
  const root = engineRoot();
  const files: SourceFile[] = [];
  const walk = (folder: string, depth: number): void => {
    assert.ok(depth < 8, 'engine/ is at most a few folders deep');
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path, depth + 1);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
        files.push({ path: relative(root, path).split(sep).join('/'), text: readFileSync(path, 'utf8') });
      }
    }
  };
  walk(root, 0);
  return files;
}

test('engine/ keeps its rooms: layout, shard, front, wal; never wire/', () => {
  const files = engineSources();
  assert.ok(files.length > 40, `found ${files.length} engine sources`);
  for (const room of ['layout', 'shard', 'front']) {
    assert.ok(files.some((file) => file.path.startsWith(`${room}/`)), `engine/${room}/ holds files`);
  }
  assert.deepEqual(layeringViolations(files), []);
});

test('the rules catch each kind of break (checked on made-up files)', () => {
  const file = (path: string, text: string): SourceFile => ({ path, text });
  const cases: [SourceFile, boolean][] = [
    [file('front/a.ts', "import { ShardTable } from '../shard/shard-table';"), true],
    [file('front/a.ts', "import type { ShardTable } from '../shard/shard-table';"), false],
    [file('front/a.ts', "import { type ShardTable } from '../shard/shard-table';"), false],
    [file('front/a.ts', "import { type A, B } from '../shard/b';"), true],
    [file('front/a.ts', "const worker = require('../shard/shard-worker');"), true],
    [file('front/a.ts', "const path = join(__dirname, '..', 'wal', 'wal-worker.js');"), false],
    [file('front/a.ts', "import type { WalOptions } from '../wal/wal-options';"), false],
    [file('front/a.ts', "import { WalWriter } from '../wal/wal-writer';"), true],
    [file('shard/a.ts', "import { Engine } from '../front/engine';"), true],
    [file('shard/a.ts', "export { Engine } from '../front/engine';"), true],
    [file('shard/a.ts', "import type { WalOptions } from '../wal/wal-options';"), true],
    [file('shard/a.ts', "import { keyHash } from '../layout/hash';"), false],
    [file('layout/a.ts', "import type { Engine } from '../front/engine';"), true],
    [file('layout/a.ts', "import { pad4 } from './words';"), false],
    [file('wal/a.ts', "import { JournalEntryReader } from '../layout/journal-entry-reader';"), false],
    [file('wal/a.ts', "import type { Engine } from '../front/engine';"), true],
    [file('front/a.ts', "import { validateOp } from '../../wire/codec/validate-op';"), true],
    [file('index.ts', "export { Engine } from './front/engine';"), false],
    [file('front/a.ts', "import { join } from 'node:path';"), false],
  ];
  for (const [source, broken] of cases) {
    assert.equal(layeringViolations([source]).length > 0, broken, `${source.path}: ${source.text}`);
  }
});

/** Functions of a file with more than `max` parameters (STYLE.md 13: a struct waiting to be named). */
function wideFunctions(file: SourceFile, max: number): string[] {
  const source = ts.createSourceFile(file.path, file.text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && node.parameters.length > max) {
      const line = source.getLineAndCharacterOfPosition(node.getStart()).line + 1;
      found.push(`${file.path}:${line} takes ${node.parameters.length} parameters`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

test('no engine file passes 400 lines and no engine function takes more than 6 parameters', () => {
  const files = engineSources();
  const long = files.filter((file) => file.text.split('\n').length > 400).map((file) => file.path);
  assert.deepEqual(long, []);
  assert.deepEqual(files.flatMap((file) => wideFunctions(file, 6)), []);
  assert.equal(wideFunctions({ path: 'x.ts', text: 'function f(a, b, c, d, e, f, g) {}' }, 6).length, 1, 'the check sees a wide function');
});
