/**
 * The lab of one integration test file: built once before its tests when this host can run
 * labs, destroyed after them. Where it cannot (not root, no `ip` ...), `skip` says why and the
 * file's tests pass it to node:test's `skip` option.
 */
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { Lab, type LabOptions } from '../../src/lab/lab.ts';

export interface FileLab {
  /** Why this host cannot run the lab, or undefined when it can. */
  readonly skip: string | undefined;
  /** The lab; only for tests that did not skip (it exists from `before` to `after`). */
  lab(): Lab;
}

/** Registers the before/after hooks that build and destroy the lab; call at the file's top level. */
export async function labForThisFile(options: LabOptions): Promise<FileLab> {
  const skip = await Lab.available();
  let lab: Lab | undefined;
  before(async () => {
    if (skip === undefined) lab = await Lab.create(options);
  });
  after(async () => {
    await lab?.destroy();
  });
  return {
    skip,
    lab() {
      assert.ok(lab !== undefined);
      return lab;
    },
  };
}
