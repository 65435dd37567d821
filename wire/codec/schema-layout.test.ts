// schema-layout.ts restates schemas/tessera.fbs for the verifier; this test parses the .fbs (the
// small subset of the grammar it uses) and checks that every table, field, slot order, kind,
// required flag, enum range and union member agree.

import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tableLayouts, type FieldKind } from './schema-layout';
import { repoRoot } from './repo-root.fixture';

interface ParsedField {
  name: string;
  kind: FieldKind;
  required: boolean;
  enumMax: number;
  /** table(s): the table's name; union: the member names after NONE. */
  references: string[];
}

function parseSchema(text: string): Map<string, ParsedField[]> {
  const source = text.replace(/\/\/.*$/gm, '');
  const enumMaxima = new Map<string, number>();
  for (const match of source.matchAll(/\benum\s+(\w+)\s*:\s*\w+\s*\{([^}]*)\}/g)) {
    let next = 0;
    let max = 0;
    for (const entry of match[2]!.split(',').map((part) => part.trim()).filter((part) => part !== '')) {
      const explicit = /=\s*(\d+)/.exec(entry);
      const value = explicit === null ? next : Number(explicit[1]);
      max = Math.max(max, value);
      next = value + 1;
    }
    enumMaxima.set(match[1]!, max);
  }
  const unions = new Map<string, string[]>();
  for (const match of source.matchAll(/\bunion\s+(\w+)\s*\{([^}]*)\}/g)) {
    unions.set(match[1]!, match[2]!.split(',').map((part) => part.trim()).filter((part) => part !== ''));
  }
  const tableNames = new Set([...source.matchAll(/\btable\s+(\w+)/g)].map((match) => match[1]!));
  const tables = new Map<string, ParsedField[]>();
  for (const match of source.matchAll(/\btable\s+(\w+)\s*\{([^}]*)\}/g)) {
    const fields: ParsedField[] = [];
    for (const declaration of match[2]!.split(';').map((part) => part.trim()).filter((part) => part !== '')) {
      const parsed = /^(\w+)\s*:\s*(\[?\w+\]?)\s*(=\s*[^(]+)?\s*(\(.*\))?$/.exec(declaration);
      assert.ok(parsed !== null, `cannot parse field declaration "${declaration}"`);
      const name = parsed[1]!;
      const type = parsed[2]!;
      const required = (parsed[4] ?? '').includes('required');
      const union = unions.get(type);
      if (union !== undefined) {
        fields.push({ name: `${name}_type`, kind: 'union-type', required: false, enumMax: union.length, references: [] });
        fields.push({ name, kind: 'union', required, enumMax: 0, references: union });
        continue;
      }
      fields.push({ name, required, ...kindOf(type, enumMaxima, tableNames) });
    }
    tables.set(match[1]!, fields);
  }
  return tables;
}

function kindOf(
  type: string,
  enumMaxima: ReadonlyMap<string, number>,
  tableNames: ReadonlySet<string>,
): Pick<ParsedField, 'kind' | 'enumMax' | 'references'> {
  const scalarKinds: Record<string, FieldKind> = {
    bool: 'bool',
    uint: 'uint32',
    ulong: 'uint64',
    long: 'int64',
    double: 'float64',
    string: 'string',
    '[ubyte]': 'bytes',
  };
  const scalar = scalarKinds[type];
  if (scalar !== undefined) return { kind: scalar, enumMax: 0, references: [] };
  const enumMax = enumMaxima.get(type);
  if (enumMax !== undefined) return { kind: 'enum', enumMax, references: [] };
  const vectorOf = /^\[(\w+)\]$/.exec(type);
  if (vectorOf !== null && tableNames.has(vectorOf[1]!)) return { kind: 'tables', enumMax: 0, references: [vectorOf[1]!] };
  if (tableNames.has(type)) return { kind: 'table', enumMax: 0, references: [type] };
  throw new Error(`type ${type} has no layout kind: extend schema-layout.ts and this test`);
}

test('schema-layout.ts describes every table of tessera.fbs exactly', () => {
  const parsed = parseSchema(readFileSync(join(repoRoot(), 'schemas', 'tessera.fbs'), 'utf8'));
  const layoutsByName = new Map(tableLayouts.map((layout) => [layout.name, layout]));
  assert.deepEqual([...layoutsByName.keys()].sort(), [...parsed.keys()].sort());
  for (const [tableName, parsedFields] of parsed) {
    const layout = layoutsByName.get(tableName)!;
    const described = layout.fields.map((field): ParsedField => ({
      name: field.name,
      kind: field.kind,
      required: field.required,
      enumMax: field.kind === 'enum' || field.kind === 'union-type' ? field.enumMax : 0,
      references:
        field.kind === 'union'
          ? field.members.slice(1).map((member) => member?.name ?? 'NONE')
          : field.table === null
            ? []
            : [field.table.name],
    }));
    assert.deepEqual(described, parsedFields, `layout of ${tableName}`);
    for (const field of layout.fields) assert.equal(field.path, `${tableName}.${field.name}`);
  }
});
