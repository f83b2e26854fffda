/**
 * carpd's start-up errors through the real command line: each names its code and the real
 * cause, exits 2, and leaves nothing behind. The configurations fail before any interface is
 * touched (the group's interface is `lo`, never used), so no root or namespace is needed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const CARPD = resolve(import.meta.dirname, '../../bin/carpd');

function run(dir: string, top: Record<string, unknown>, groups: Record<string, unknown>[]): { status: number | null; stderr: string } {
  const path = join(dir, 'carpd.yaml');
  writeFileSync(path, JSON.stringify({ state_directory: join(dir, 'state'), control_socket: join(dir, 'run', 'carpd.sock'), ...top, groups }));
  const result = spawnSync(process.execPath, [CARPD, '--config', path], { encoding: 'utf8', timeout: 20_000 });
  return { status: result.status, stderr: result.stderr };
}

const group = (dir: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  interface: 'lo',
  vhid: 201,
  addresses: ['198.51.100.201/32'],
  passphrase_file: join(dir, 'pass'),
  ...extra,
});

const cases: { name: string; setup: (dir: string) => { top?: Record<string, unknown>; groups?: Record<string, unknown>[] }; code: string; cause: RegExp }[] = [
  {
    name: 'state directory below a regular file: ENOTDIR, not EEXIST',
    setup: (dir) => {
      writeFileSync(join(dir, 'file'), '');
      return { top: { state_directory: join(dir, 'file', 'state') } };
    },
    code: 'CARPD_STATE_DIRECTORY',
    cause: /ENOTDIR/,
  },
  {
    name: 'control socket below a regular file: ENOTDIR, not EEXIST',
    setup: (dir) => {
      writeFileSync(join(dir, 'file'), '');
      return { top: { control_socket: join(dir, 'file', 'carpd.sock') } };
    },
    code: 'CARPD_CONTROL_SOCKET',
    cause: /ENOTDIR/,
  },
  {
    name: 'a regular file where the control socket goes',
    setup: (dir) => {
      writeFileSync(join(dir, 'sock-file'), 'x');
      return { top: { control_socket: join(dir, 'sock-file') } };
    },
    code: 'CARPD_CONTROL_SOCKET',
    cause: /not a socket/,
  },
  {
    name: "the second group's passphrase file is missing",
    setup: (dir) => ({ groups: [group(dir), group(dir, { name: 'db', vhid: 202, addresses: ['198.51.100.202/32'], passphrase_file: join(dir, 'missing') })] }),
    code: 'CARPD_PASSPHRASE',
    cause: /db/,
  },
  {
    name: 'a metrics address that is not IP:PORT (refused by the config check already)',
    setup: () => ({ top: { metrics: { listen: 'localhost:9273' } } }),
    code: 'CARPD_CONFIG_HOST_PORT',
    cause: /localhost:9273/,
  },
];

for (const c of cases) {
  test(`start-up error: ${c.name} → ${c.code}, exit 2, nothing left`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'carpd-startup-'));
    try {
      writeFileSync(join(dir, 'pass'), 'startup-pass\n', { mode: 0o600 });
      const setup = c.setup(dir);
      const result = run(dir, setup.top ?? {}, setup.groups ?? [group(dir)]);
      assert.equal(result.status, 2, result.stderr);
      assert.match(result.stderr, new RegExp(c.code));
      assert.match(result.stderr, c.cause);
      assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
      // The control socket is not left behind.
      assert.equal(existsSync(join(dir, 'run', 'carpd.sock')), false);
      if (existsSync(join(dir, 'state'))) assert.deepEqual(readdirSync(join(dir, 'state')).filter((f) => !f.startsWith('lock.')), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
