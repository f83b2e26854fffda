/**
 * Tests read a built group's fields whichever protocol it has: a GroupConfig seen with every
 * protocol's own fields optional (a CARP group's `vrrp` reads undefined, a VRRP group's `advbase`
 * too). Only a view for reading: nothing here builds or changes a group.
 */
import type { CarpGroupConfig, GroupConfig, GroupConfigCommon, PassphraseSource, VrrpGroupConfig } from '../../src/config/config-types.ts';

export type GroupView = GroupConfigCommon &
  Partial<Omit<CarpGroupConfig, keyof GroupConfigCommon | 'protocol' | 'passphrase'>> &
  Partial<Pick<VrrpGroupConfig, 'vrrp'>> & { readonly protocol?: GroupConfig['protocol']; readonly passphrase: PassphraseSource };

/** The group as a GroupView (the type only; the value is the group itself). */
export function view<G extends GroupConfig | undefined>(group: G): G extends undefined ? GroupView | undefined : GroupView {
  return group as unknown as G extends undefined ? GroupView | undefined : GroupView;
}

/** Every group as a GroupView. */
export function views(groups: readonly GroupConfig[]): GroupView[] {
  return [...groups];
}

/** A CARP group as tests read it: CARP's fields, and VRRP's block, which a CARP group never has. */
export type CarpGroupView = CarpGroupConfig & { readonly vrrp?: undefined };

/** A group the test built as a CARP group, typed as one (the type only; the assertions check the values). */
export function carpGroup<G extends GroupConfig | undefined>(group: G): G extends undefined ? CarpGroupView | undefined : CarpGroupView {
  return group as unknown as G extends undefined ? CarpGroupView | undefined : CarpGroupView;
}
