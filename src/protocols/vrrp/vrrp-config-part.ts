/**
 * VRRP's part of the configuration (protocols/protocol-config-part.ts): the keys only VRRP has
 * and what a CARP group is told instead, which of CARP's keys a VRRPv2 group takes (its simple
 * password), its defaults (preempt on, RFC 5798 §6.1) and default names, and building, checking
 * and rendering a group's `vrrp` block. VRRPv2's own rules are in vrrp2-config-rules.ts.
 */
import { tryParseIpAddress } from '../../wire/ip-address.ts';
import { configProblem } from '../../config/error-codes.ts';
import type { ProtocolConfigPart, SettingNames } from '../protocol-config-part.ts';
import type { VrrpGroupConfig, VrrpSettings } from './vrrp-config.ts';
import { VRRP_CONFIG_DEFAULTS } from './vrrp-config-defaults.ts';
import { advertIntervalCentis, advertIntervalProblemFor, mixedFamily, mixedFamilyDetail, VRRP_PRIORITY_RANGE, VRRP2_SECRET_LIMIT, vrrpDefaultName, vrrpDefaultVirtualInterface } from './vrrp-config-rules.ts';
import { buildVrrpAuth, checkVrrpVersionRules, vrrp2FamilyProblem } from './vrrp2-config-rules.ts';
import { DEFAULT_VRRP_VERSION, VRRP_AUTH_TYPES, VRRP_VERSIONS, type VrrpVersion } from './vrrp-version.ts';

/** CARP's keys a VRRP group of a version takes: VRRPv2's simple password is read from CARP's passphrase keys. */
const TAKEN_FROM_OTHERS: Readonly<Record<string, readonly VrrpVersion[]>> = { passphrase: [2], passphrase_file: [2], passphrase_env: [2] };
/** VRRP's own keys that only some versions have. */
const VERSION_ONLY: Readonly<Record<string, readonly VrrpVersion[]>> = { auth_type: [2] };

/** What a VRRPv3 group says about a VRRPv2-only key (auth_type). */
const VRRP2_ONLY_ADVICE = (n: SettingNames) => `has no authentication (RFC 5798 §9); remove it, or set ${n.key('vrrp_version')} 2 for VRRPv2`;

/**
 * The VRRP version of a group's raw keys (its own over the defaults'): 3 when absent or not a
 * version (the schema reports a bad value).
 */
export function rawVrrpVersion(raw: Readonly<Record<string, unknown>>): VrrpVersion {
  const written = raw['vrrp_version'] ?? DEFAULT_VRRP_VERSION;
  return (VRRP_VERSIONS as readonly unknown[]).includes(written) ? (written as VrrpVersion) : DEFAULT_VRRP_VERSION;
}

export const vrrpConfigPart: ProtocolConfigPart<VrrpGroupConfig> = {
  title: 'VRRP',
  settingBlocks: ['vrrp'],
  notForCode: 'CARPD_CONFIG_NOT_FOR_VRRP',
  ownSettings: {
    vrid: { flag: 'vrid', instead: (n) => `uses ${n.key('vhid')}` },
    priority: { flag: 'priority', instead: (n) => `uses ${n.key('advskew')} (0..254, the lower wins)` },
    advert_interval: { flag: 'advert-interval', instead: (n) => `uses ${n.key('advbase')} (whole seconds) and ${n.key('advskew')} (1/256 s)` },
    accept_mode: { flag: 'accept-mode', instead: () => 'has none (its master always accepts packets for its addresses)' },
    checksum_mode: { flag: 'checksum-mode', instead: () => 'has one checksum (over the CARP header)' },
    vrrp_version: { flag: 'vrrp-version', instead: () => 'speaks CARP (its version is 2); remove it' },
    auth_type: { flag: 'auth-type', instead: (n) => `authenticates with ${n.key('passphrase_file')} (HMAC-SHA1); remove it` },
  },
  takesKey(fileKey, owner, variant) {
    const versions = owner === 'vrrp' ? VERSION_ONLY[fileKey] : TAKEN_FROM_OTHERS[fileKey];
    if (owner === 'vrrp' && versions === undefined) return true;
    return versions?.includes(rawVrrpVersion(variant)) === true;
  },
  refusalDetail(fileKey, owner, ownerTitle, instead, n) {
    if (owner === 'vrrp') return `${n.key(fileKey)} is VRRPv2's; a VRRPv3 group ${VRRP2_ONLY_ADVICE(n)}`;
    return `${n.key(fileKey)} is ${ownerTitle}'s; a VRRP group (${n.protocol('vrrp')}) ${instead(n)}`;
  },
  defaultPreempt: VRRP_CONFIG_DEFAULTS.preempt,
  defaultName: vrrpDefaultName,
  defaultVirtualInterface: vrrpDefaultVirtualInterface,
  idRequiredDetail: 'is required (a number; vrid is the same key)',
  idPerFamily: true,
  idWord: 'vrid',
  secretLimit: (variant) => (rawVrrpVersion(variant) === 2 ? VRRP2_SECRET_LIMIT : undefined),

  build({ raw, addresses, at, sink, readPassphrase }) {
    const mixed = mixedFamily(raw.addresses.map((text) => tryParseIpAddress(text.split('/', 1)[0] ?? '')));
    if (mixed !== undefined) sink.errors.push(configProblem('CARPD_CONFIG_VRRP_FAMILY', at('addresses', mixed.index), mixedFamilyDetail(mixed.first, mixed.other)));
    checkVrrpVersionRules(raw, addresses, at, sink);
    const auth = buildVrrpAuth(raw, at, sink, readPassphrase);
    if (auth === undefined) return undefined;
    const d = VRRP_CONFIG_DEFAULTS;
    const vrrp: VrrpSettings = {
      priority: raw.priority ?? d.priority,
      advertIntervalCentis: raw.advert_interval === undefined ? d.advertIntervalCentis : advertIntervalCentis(raw.advert_interval),
      acceptMode: raw.accept_mode ?? d.acceptMode,
      checksumMode: raw.checksum_mode ?? d.checksumMode,
      ...auth.fields,
    };
    return { protocol: 'vrrp', vrrp, passphrase: auth.passphrase };
  },

  warnUnused({ raw, own, family, at, sink }) {
    const warn = (key: string, detail: string) => sink.warnings.push(configProblem('CARPD_CONFIG_UNUSED_SETTING', at(key), detail));
    // RFC 5798 §6.1: the owner accepts packets for its own addresses whatever Accept_Mode says.
    if (own['accept_mode'] !== undefined && raw.priority === 255) warn('accept_mode', 'has no effect with priority 255: the address owner always accepts packets for its addresses');
    // IPv6 has one checksum (vrrp-checksum.ts), which strict and compatible both accept.
    if (own['checksum_mode'] !== undefined && family === 6) warn('checksum_mode', 'has no effect in an IPv6 group: IPv6 has one checksum');
    // VRRPv2 has one checksum too, over the message alone (vrrp-version.ts).
    else if (own['checksum_mode'] !== undefined && raw.vrrp_version === 2) warn('checksum_mode', 'has no effect in a VRRPv2 group: its checksum covers the message alone');
  },

  /**
   * The VRRP-only flags, checked as the file's keys are (same functions, same words); with
   * --vrrp-version 2 also --auth-type and the password (--pass/--passfile, at most 8 bytes).
   */
  fromFlags(flags) {
    const version: VrrpVersion = flags.oneOf('vrrp-version', ['2', '3'] as const, '3') === '2' ? 2 : 3;
    const d = VRRP_CONFIG_DEFAULTS;
    const mixed = mixedFamily(flags.addresses);
    if (mixed !== undefined) flags.errors.push(`--addr: ${mixedFamilyDetail(mixed.first, mixed.other)}`);
    const ipv6 = version === 2 ? vrrp2FamilyProblem(flags.addresses) : undefined;
    if (ipv6 !== undefined) flags.errors.push(`--addr: ${ipv6.text} is IPv6: VRRPv2 (--vrrp-version 2) is IPv4 only (RFC 3768); use --vrrp-version 3 for IPv6`);
    const [min, max] = VRRP_PRIORITY_RANGE;
    const priority = flags.integerIn('priority', min, max) ?? d.priority;
    const seconds = flags.number('advert-interval', (v) => advertIntervalProblemFor(version, v));
    const vrrp: VrrpSettings = {
      priority,
      advertIntervalCentis: seconds === undefined ? d.advertIntervalCentis : advertIntervalCentis(seconds),
      acceptMode: flags.given('accept-mode'),
      checksumMode: flags.oneOf('checksum-mode', ['compatible', 'strict'] as const, d.checksumMode),
    };
    if (version === 3) return { protocol: 'vrrp', vrrp, passphrase: { kind: 'none' } };
    const given = flags.given('pass') || flags.given('passfile');
    const authType = flags.oneOf('auth-type', VRRP_AUTH_TYPES, given ? 'pass' : 'none');
    if (authType === 'ah') flags.errors.push('--auth-type: ah (IP Authentication Header) is not supported; use pass or none');
    if (authType === 'pass' && !given) flags.errors.push('--auth-type pass: needs --pass or --passfile (at most 8 bytes, the same on every router)');
    if (authType === 'none' && given) flags.errors.push('--pass/--passfile: no effect with --auth-type none; remove it or use --auth-type pass');
    const passphrase = authType === 'pass' && given ? (flags.passphrase(VRRP2_SECRET_LIMIT) ?? { kind: 'none' as const }) : { kind: 'none' as const };
    return { protocol: 'vrrp', vrrp: { ...vrrp, version: 2, authType: authType === 'pass' ? 'pass' : 'none' }, passphrase };
  },

  render(group, { addresses, passphrase }) {
    const vrrp = group.vrrp;
    return {
      keys: {
        vrid: group.vhid,
        ...(vrrp.version === 2 ? { vrrp_version: 2, auth_type: vrrp.authType ?? 'none', ...passphrase(group.passphrase) } : {}),
        addresses,
        priority: vrrp.priority,
        advert_interval: vrrp.advertIntervalCentis / 100,
        preempt: group.preempt,
        accept_mode: vrrp.acceptMode,
        checksum_mode: vrrp.checksumMode,
      },
      lateKeys: {},
    };
  },
};
