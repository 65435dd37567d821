import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { configJsonSchemaPath, configJsonSchemaText } from './config-json-schema';

test('config.schema.json is the one generated from config-schema.ts (regenerate with config-json-schema.js --write)', () => {
  assert.equal(readFileSync(configJsonSchemaPath, 'utf8'), configJsonSchemaText());
});

test('the published schema is strict at every depth and takes sizes with units', () => {
  const schema = JSON.parse(configJsonSchemaText()) as { additionalProperties: boolean; properties: Record<string, { additionalProperties?: boolean; properties?: Record<string, unknown> }> };
  assert.equal(schema.additionalProperties, false);
  for (const section of ['engine', 'limits', 'auth']) assert.equal(schema.properties[section]?.additionalProperties, false, section);
  const walSegment = JSON.stringify((schema.properties['persistence'] as unknown as { anyOf: unknown[] }).anyOf);
  assert.match(walSegment, /walSegmentBytes/);
  assert.match(walSegment, /"pattern"/);
});
