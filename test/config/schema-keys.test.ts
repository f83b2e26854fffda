import { test } from 'node:test';
import assert from 'node:assert/strict';
import { groupSchema } from '../../src/config/config-schema.ts';
import { zodShapeOfKeys } from '../../src/config/schema-numbers.ts';
import { PROTOCOL_MODULES } from '../../src/protocols/index.ts';
import { PROTOCOL_SCHEMA_KEYS } from '../../src/protocols/protocol-schema-shapes.ts';
import * as z from 'zod';

test('every key a protocol describes is one of its own settings, and in the group schema', () => {
  const owned = new Set(PROTOCOL_MODULES.flatMap((module) => Object.keys(module.config.ownSettings)));
  for (const key of Object.keys(PROTOCOL_SCHEMA_KEYS)) {
    assert.ok(owned.has(key), `${key} is described by a protocol but owned by none`);
    assert.ok(key in groupSchema.shape, `${key} is missing from the group schema`);
  }
  for (const key of owned) assert.ok(key in groupSchema.shape, `${key} (a protocol's own setting) is missing from the group schema`);
});

test('a described integer key refuses a fraction as a type problem and an outsider as a range problem', () => {
  const schema = z.strictObject(zodShapeOfKeys({ n: { kind: 'integer', range: [1, 5] } }));
  const codeOf = (n: number) => {
    const result = schema.safeParse({ n });
    return result.success ? undefined : (result.error.issues[0] as { params?: { code?: string } }).params?.code;
  };
  assert.equal(codeOf(3), undefined);
  assert.equal(codeOf(2.5), 'CARPD_CONFIG_TYPE');
  assert.equal(codeOf(6), 'CARPD_CONFIG_RANGE');
  assert.equal(schema.safeParse({}).success, true, 'every described key is optional');
});
