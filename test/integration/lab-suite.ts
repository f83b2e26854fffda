/**
 * The lifecycle every lab test file shares: one Lab per file, created before its tests (unless
 * the file is skipped) and destroyed after them even when a test failed, with the temporary
 * directories the tests registered (`roots`) removed after it.
 */
import { after, before } from 'node:test';
import { rmSync } from 'node:fs';
import { Lab, type LabOptions } from '../../src/lab/lab.ts';

/**
 * Registers the file's before/after hooks. `onCreated` receives the lab once it exists (the file
 * keeps it in its own variable); returns the list of directories to remove afterwards.
 */
export function labSuite(options: LabOptions, skip: string | undefined, onCreated: (lab: Lab) => void): string[] {
  const roots: string[] = [];
  let lab: Lab | undefined;
  before(async () => {
    if (skip !== undefined) return;
    lab = await Lab.create(options);
    onCreated(lab);
  });
  after(async () => {
    try {
      await lab?.destroy();
    } finally {
      for (const root of roots) rmSync(root, { recursive: true, force: true });
    }
  });
  return roots;
}
