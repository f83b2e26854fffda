// Bad input never throws and never grows the output without bound (docs/development.md "Code principles"):
// random bytes, and random soups of keepalived's own words, through the converter and the renderer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { convertKeepalived } from '../../../src/config/keepalived/convert.ts';
import { renderConversion } from '../../../src/config/keepalived/render.ts';
import { MAX_NOTES } from '../../../src/config/keepalived/notes.ts';
import { mapReader } from './map-reader.ts';

const FILE = '/k/keepalived.conf';

/** Converts and renders; the output is bounded by the input's lines (a few notes of bounded length per line) plus a constant. */
function check(text: string): void {
  const files = { [FILE]: text, '/k/inc.conf': text.slice(0, 200) };
  const conversion = convertKeepalived(FILE, text, mapReader(files), { secretsDir: '/etc/carpd' });
  const yaml = renderConversion(FILE, conversion);
  const lines = text.split('\n').length + 1;
  assert.ok(conversion.notes.length <= MAX_NOTES + 1);
  assert.ok(yaml.length <= 4000 * lines + 10_000, `${yaml.length} chars for ${lines} lines`);
}

test('random bytes never throw, and the output is bounded', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => check(Buffer.from(bytes).toString('latin1'))), { numRuns: 300 });
});

const WORDS = ['vrrp_instance', 'vrrp_script', 'vrrp_sync_group', 'global_defs', 'group', 'interface', 'eth0', 'virtual_router_id', '7', '300', 'priority', '255',
  'advert_int', '0.5', 'virtual_ipaddress', 'virtual_ipaddress_excluded', '198.51.100.1/24', '2001:db8::1', 'dev', 'label', 'authentication', 'auth_type', 'PASS', 'AH',
  'auth_pass', 'track_script', 'track_interface', 'weight', '-20', '10', 'reverse', 'script', '"/bin/true x"', 'notify', 'notify_master', '/x.sh', 'unicast_peer',
  'use_vmac', 'version', '2', '3', 'include', 'inc.conf', 'keepalived.conf', 'state', 'MASTER', '@n1', '$X=1', '${X}', '{', '}', '\n', '\n', '\n', '#', '!', '"', "'"];

test('random soups of keepalived words never throw, and the output is bounded', () => {
  fc.assert(fc.property(fc.array(fc.constantFrom(...WORDS), { maxLength: 400 }), (words) => check(words.join(' '))), { numRuns: 500 });
});
