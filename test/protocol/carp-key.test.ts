import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  CARP_KEY_LENGTH,
  carpKeyFromHex,
  carpKeyFromPassphrase,
  InvalidCarpKeyError,
  PassphraseTooLongError,
} from '../../src/protocols/carp/carp-key.ts';
import { toHex } from '../helpers/bytes.ts';

describe('carpKeyFromPassphrase', () => {
  const ok: { name: string; passphrase: string | Uint8Array; want: string }[] = [
    {
      name: 'ok, "secret-pass" zero padded to 20 bytes (ucarp V1 capture)',
      passphrase: 'secret-pass',
      want: '7365637265742d70617373' + '00'.repeat(9),
    },
    { name: 'ok, empty passphrase is all zeros', passphrase: '', want: '00'.repeat(20) },
    { name: 'ok, 19 bytes is the maximum', passphrase: 'a'.repeat(19), want: '61'.repeat(19) + '00' },
    { name: 'ok, UTF-8 bytes are counted, not characters', passphrase: 'é'.repeat(9), want: 'c3a9'.repeat(9) + '0000' },
    { name: 'ok, raw bytes are taken as they are', passphrase: Uint8Array.of(1, 2, 0xff), want: '0102ff' + '00'.repeat(17) },
  ];
  for (const c of ok) {
    it(c.name, () => {
      const key = carpKeyFromPassphrase(c.passphrase);
      assert.equal(key.length, CARP_KEY_LENGTH);
      assert.equal(toHex(key), c.want);
    });
  }

  const tooLong: { name: string; passphrase: string | Uint8Array; bytes: number }[] = [
    { name: 'bad, 20 ASCII bytes (no room for the NUL)', passphrase: 'a'.repeat(20), bytes: 20 },
    { name: 'bad, 10 characters that are 20 UTF-8 bytes', passphrase: 'é'.repeat(10), bytes: 20 },
    { name: 'bad, 64 raw bytes', passphrase: new Uint8Array(64).fill(1), bytes: 64 },
  ];
  for (const c of tooLong) {
    it(c.name, () => {
      assert.throws(
        () => carpKeyFromPassphrase(c.passphrase),
        (error: unknown) => error instanceof PassphraseTooLongError && error.byteLength === c.bytes,
      );
    });
  }

  it('bad, a NUL byte would end the key early on every C peer', () => {
    assert.throws(() => carpKeyFromPassphrase('abc\0def'), RangeError);
  });
});

describe('carpKeyFromHex', () => {
  it('ok, 40 hex digits, either case', () => {
    assert.equal(toHex(carpKeyFromHex('00112233445566778899AABBCCDDEEFF0a1B2c3D')), '00112233445566778899aabbccddeeff0a1b2c3d');
  });
  it('ok, reproduces a passphrase key', () => {
    assert.deepEqual(carpKeyFromHex('7365637265742d70617373000000000000000000'), carpKeyFromPassphrase('secret-pass'));
  });

  const bad: { name: string; hex: string }[] = [
    { name: 'bad, empty', hex: '' },
    { name: 'bad, 38 digits', hex: '00'.repeat(19) },
    { name: 'bad, 42 digits', hex: '00'.repeat(21) },
    { name: 'bad, non-hex digit', hex: 'g'.repeat(40) },
    { name: 'bad, 0x prefix makes it 42 characters', hex: '0x' + '00'.repeat(20) },
    { name: 'bad, embedded space', hex: '00'.repeat(10) + ' ' + '00'.repeat(9) + '0' },
  ];
  for (const c of bad) {
    it(c.name, () => assert.throws(() => carpKeyFromHex(c.hex), InvalidCarpKeyError));
  }

  it('bad input is never echoed in the message (it is a secret)', () => {
    const secret = 'f00dfacef00dfacef00dfacef00dfacef00dfacZ';
    assert.throws(() => carpKeyFromHex(secret), (error: unknown) => error instanceof Error && !error.message.includes('f00dface'));
  });
});
