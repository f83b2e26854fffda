/**
 * A CARP group's configuration: the fields only CARP has (its key, timing, master-down formula,
 * replay protection, key-change window) beside the common ones of config/config-types.ts.
 */
import type { GroupConfigCommon, PassphraseSource } from '../../config/config-types.ts';
import type { MasterDownFormula } from './carp-intervals.ts';
import type { ReplayMode } from './replay-guard.ts';

/** CARP's own settings of a group. */
export interface CarpSettings {
  /** The source of the key's passphrase (at most 19 bytes, docs/protocol-carp.md "Key"). */
  readonly passphrase: PassphraseSource;
  readonly advbase: number;
  readonly advskew: number;
  readonly masterDown: MasterDownFormula;
  /** ucarp's --deadratio, for masterDown 'ucarp'. */
  readonly deadRatio: number;
  readonly replay: { readonly mode: ReplayMode; readonly windowSeconds: number };
  /**
   * After a reload changes the address list or the key, how long (seconds) the old ones are still
   * signed with and accepted, so the nodes can be reloaded one by one (default 600; 0 = at once).
   */
  readonly keyChangeWindowSeconds?: number;
}

/** A CARP group; `protocol` is optional, CARP being the default, so configs without it read as before. */
export interface CarpGroupConfig extends GroupConfigCommon, CarpSettings {
  readonly protocol?: 'carp';
}
