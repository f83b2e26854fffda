/**
 * The part of a group's status that no protocol owns: the foreign masters heard for its id and
 * the re-announcements they caused. The protocol's own fields are its runtime part's
 * (protocols/protocol-runtime-part.ts status; protocols/carp/carp-status.ts,
 * protocols/vrrp/vrrp-status.ts).
 */
import type { GroupStatus } from '../control/control-types.ts';
import type { ProtocolRunner } from '../engine/runner-core.ts';
import type { ToIso } from '../protocols/index.ts';

export type { ProtocolStatus, ToIso } from '../protocols/index.ts';

/** Foreign masters heard for a group's id and the re-announcements they caused (either protocol). */
export function foreignStatus(runner: Pick<ProtocolRunner, 'foreignMasters'> | undefined, toIso: ToIso): NonNullable<GroupStatus['foreign']> {
  const stats = runner?.foreignMasters;
  const last = stats?.last;
  return {
    adverts: stats?.adverts ?? 0,
    reannouncements: stats?.reannouncements ?? 0,
    last: last === undefined ? null : { peer: last.peer, kind: last.kind, heardAt: toIso(last.at) },
  };
}
