/**
 * CARP's part of the configuration (protocols/protocol-config-part.ts): the keys only CARP has
 * and what a VRRP group is told instead, its defaults and default names, its passphrase limit,
 * and building, checking and rendering a group's CARP settings.
 */
import { CONFIG_DEFAULTS } from '../../config/config-types.ts';
import { configProblem } from '../../config/error-codes.ts';
import type { ProtocolConfigPart, SecretLimit, SettingNames } from '../protocol-config-part.ts';
import type { CarpGroupConfig } from './carp-config.ts';
import { CARP_MAX_PASSPHRASE_BYTES } from './carp-key.ts';

/** CARP: 19 bytes (docs/protocol-carp.md "Key"). */
export const CARP_SECRET_LIMIT: SecretLimit = {
  maxBytes: CARP_MAX_PASSPHRASE_BYTES,
  code: 'CARPD_CONFIG_PASSPHRASE_TOO_LONG',
  what: 'CARP allows',
  flagDetail: (bytes) => `the passphrase is ${bytes} bytes; CARP peers can use at most ${CARP_MAX_PASSPHRASE_BYTES}`,
};

const PASSPHRASE_ADVICE = (n: SettingNames) =>
  `has none (VRRPv3 has no authentication, RFC 5798 §9); remove it, or set ${n.key('vrrp_version')} 2 for VRRPv2's simple password (sent in clear)`;
const MASTER_DOWN_ADVICE = (n: SettingNames) => `uses RFC 5798's master-down interval (3 × ${n.key('advert_interval')} + a skew from ${n.key('priority')}); remove it`;

export const carpConfigPart: ProtocolConfigPart<CarpGroupConfig> = {
  title: 'CARP',
  settingBlocks: ['replay'],
  notForCode: 'CARPD_CONFIG_NOT_FOR_CARP',
  ownSettings: {
    passphrase: { flag: 'pass', instead: PASSPHRASE_ADVICE },
    passphrase_file: { flag: 'passfile', instead: PASSPHRASE_ADVICE },
    passphrase_env: { instead: PASSPHRASE_ADVICE },
    advbase: { flag: 'advbase', instead: (n) => `uses ${n.key('advert_interval')} (seconds, 0.01..40.95)` },
    advskew: { flag: 'advskew', instead: (n) => `uses ${n.key('priority')} (1..255, the higher wins)` },
    replay: { flag: 'replay', instead: () => 'has no replay protection to set (VRRPv3 adverts carry no counter); remove it' },
    master_down: { flag: 'master-down', instead: MASTER_DOWN_ADVICE },
    dead_ratio: { instead: MASTER_DOWN_ADVICE },
    key_change_window: { instead: () => 'has no key, and takes a changed address list at once; remove it' },
  },
  // A CARP group takes its own keys, none of another protocol's.
  takesKey: (_fileKey, owner) => owner === 'carp',
  refusalDetail: (fileKey, owner, ownerTitle, instead, n) =>
    `${n.key(fileKey)} is ${ownerTitle}'s; a CARP group (${n.protocol('carp')}, the default) ${instead(n)}; to make it a ${ownerTitle} group, set ${n.protocol(owner)}`,
  defaultPreempt: CONFIG_DEFAULTS.preempt,
  defaultName: (interfaceName, vhid) => `${interfaceName}/vhid${vhid}`,
  defaultVirtualInterface: (vhid) => `carp${vhid}`,
  idRequiredDetail: 'is required (a number)',
  idPerFamily: false,
  idWord: 'vhid',
  secretLimit: () => CARP_SECRET_LIMIT,

  build({ raw, at, sink, readPassphrase }) {
    const passphrase = readPassphrase(CARP_SECRET_LIMIT);
    const advbase = raw.advbase ?? CONFIG_DEFAULTS.advbase;
    const advskew = raw.advskew ?? CONFIG_DEFAULTS.advskew;
    // ucarp refuses 0/0 and OpenBSD would advertise every 1/256 s (docs/protocol-carp.md "The 36-byte header").
    if (advbase === 0 && advskew === 0) sink.errors.push(configProblem('CARPD_CONFIG_ADVBASE_ZERO', at('advbase'), 'advbase 0 needs advskew 1..254 (0 with 0 would advertise 256 times a second)'));
    if (passphrase === undefined) return undefined;
    return {
      passphrase,
      advbase,
      advskew,
      masterDown: raw.master_down ?? CONFIG_DEFAULTS.masterDown,
      deadRatio: raw.dead_ratio ?? CONFIG_DEFAULTS.deadRatio,
      replay: { mode: raw.replay?.mode ?? CONFIG_DEFAULTS.replayMode, windowSeconds: raw.replay?.window_seconds ?? CONFIG_DEFAULTS.replayWindowSeconds },
      ...(raw.key_change_window === undefined ? {} : { keyChangeWindowSeconds: raw.key_change_window }),
    };
  },

  warnUnused({ raw, own, at, sink }) {
    if (own['dead_ratio'] !== undefined && raw.master_down !== 'ucarp') sink.warnings.push(configProblem('CARPD_CONFIG_UNUSED_SETTING', at('dead_ratio'), 'has no effect unless master_down is ucarp'));
  },

  fromFlags(flags) {
    const passphrase = flags.passphrase(CARP_SECRET_LIMIT);
    const advbase = flags.int('advbase', 0, 254, CONFIG_DEFAULTS.advbase);
    const advskew = flags.int('advskew', 0, 254, CONFIG_DEFAULTS.advskew);
    if (advbase === 0 && advskew === 0 && flags.given('advbase')) flags.errors.push('--advbase 0 needs a non-zero --advskew (ucarp refuses 0/0; OpenBSD sends every 1/256 s)');
    const replayMode = flags.oneOf('replay', ['strict', 'compat'] as const, CONFIG_DEFAULTS.replayMode);
    const masterDown = flags.oneOf('master-down', ['openbsd', 'freebsd', 'ucarp'] as const, CONFIG_DEFAULTS.masterDown);
    if (passphrase === undefined) return undefined;
    return { passphrase, advbase, advskew, masterDown, deadRatio: CONFIG_DEFAULTS.deadRatio, replay: { mode: replayMode, windowSeconds: CONFIG_DEFAULTS.replayWindowSeconds } };
  },

  render(group, { addresses, passphrase }) {
    return {
      keys: {
        vhid: group.vhid,
        addresses,
        ...passphrase(group.passphrase),
        advbase: group.advbase,
        advskew: group.advskew,
        preempt: group.preempt,
        master_down: group.masterDown,
        dead_ratio: group.deadRatio,
      },
      lateKeys: {
        replay: { mode: group.replay.mode, window_seconds: group.replay.windowSeconds },
        ...(group.keyChangeWindowSeconds === undefined ? {} : { key_change_window: group.keyChangeWindowSeconds }),
      },
    };
  },
};
