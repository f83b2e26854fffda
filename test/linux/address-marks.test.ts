/** Item 3 of issue 18: which kernels keep carpd's address mark (IFA_PROTO since Linux 6.1). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kernelKeepsAddressMarks } from '../../src/linux/address-marks.ts';

const cases: [string, boolean][] = [
  ['6.1.0-18-amd64', true], // Debian 12
  ['6.18.44-fc-v1272', true],
  ['7.0.1', true],
  ['6.0.12', false],
  ['5.10.0-28-amd64', false], // Debian 11
  ['4.19.0', false],
  ['not a release', true],
];
for (const [release, expected] of cases) {
  test(`item 3, kernelKeepsAddressMarks: ${release} → ${expected}`, () => assert.equal(kernelKeepsAddressMarks(release), expected));
}
