/**
 * Whether this kernel keeps carpd's address mark (IFA_PROTO, Linux 6.1 and later; an older one
 * ignores the attribute, docs/fail-safe.md "Addresses carpd owns"). Pure: the caller passes
 * os.release().
 */

/** The first kernel with address protocols (IFA_PROTO). */
export const ADDRESS_MARKS_SINCE: readonly [number, number] = [6, 1];

/** True when the release ("6.1.0-18-amd64", "5.10.0-28-amd64") is 6.1 or later; true when it cannot be read (not Linux's format). */
export function kernelKeepsAddressMarks(release: string): boolean {
  const match = /^(\d+)\.(\d+)/.exec(release);
  if (match === null) return true;
  const [major, minor] = [Number(match[1]), Number(match[2])];
  const [sinceMajor, sinceMinor] = ADDRESS_MARKS_SINCE;
  return major > sinceMajor || (major === sinceMajor && minor >= sinceMinor);
}
