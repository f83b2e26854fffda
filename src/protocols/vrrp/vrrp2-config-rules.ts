/**
 * The config rules that depend on a VRRP group's version (protocols/vrrp/vrrp-version.ts has the wire
 * rules): VRRPv2 (`vrrp_version: 2`, RFC 3768) is IPv4 only, carries whole seconds, and may
 * authenticate with a simple text password of at most 8 bytes, which every advert carries in
 * clear (docs/configuration.md "VRRPv2"). `auth_type: ah` is refused. VRRPv3 groups never reach
 * the password rules: config/protocol-keys.ts refuses their passphrase keys and auth_type (vrrp-config-part.ts).
 */
import type { IpAddress } from '../../wire/ip-address.ts';
import type { PassphraseSource, VirtualAddressConfig } from '../../config/config-types.ts';
import { configProblem, type PathSegment } from '../../config/error-codes.ts';
import type { RawGroup } from '../../config/config-schema.ts';
import { advertIntervalProblemFor, VRRP2_SECRET_LIMIT, type SecretLimit } from './vrrp-config-rules.ts';
import type { VrrpSettings } from './vrrp-config.ts';
import { DEFAULT_VRRP_VERSION, vrrpProfile } from './vrrp-version.ts';

/** Where problems go (build-group.ts's sink). */
interface Sink {
  readonly errors: ReturnType<typeof configProblem>[];
  readonly warnings: ReturnType<typeof configProblem>[];
}

type At = (...rest: PathSegment[]) => PathSegment[];

/** The passphrase reader of config/build-group.ts, passed in so that there is one reader. */
export type PassphraseBuilder = (limit: SecretLimit) => PassphraseSource | undefined;

/** The families and the advert_interval this group's version allows. */
export function checkVrrpVersionRules(raw: RawGroup, addresses: readonly VirtualAddressConfig[], at: At, sink: Sink): void {
  const version = raw.vrrp_version ?? DEFAULT_VRRP_VERSION;
  const profile = vrrpProfile(version);
  addresses.forEach((a, i) => {
    if (!profile.families.includes(a.address.family)) {
      sink.errors.push(configProblem('CARPD_CONFIG_VRRP2_IPV4_ONLY', at('addresses', i), `${a.address.text} is IPv${a.address.family}: VRRPv2 (vrrp_version: 2) is IPv4 only (RFC 3768); use vrrp_version: 3 for IPv6`));
    }
  });
  // The schema let through any value some version can use; this group's version decides.
  const problem = raw.advert_interval === undefined ? undefined : advertIntervalProblemFor(version, raw.advert_interval);
  if (problem !== undefined) sink.errors.push(configProblem(problem.code, at('advert_interval'), problem.detail));
}

/** A VRRP group's authentication: the passphrase source and the `vrrp` fields; undefined after an error. */
export function buildVrrpAuth(
  raw: RawGroup,
  at: At,
  sink: Sink,
  readPassphrase: PassphraseBuilder,
): { passphrase: PassphraseSource; fields: Pick<VrrpSettings, 'version' | 'authType'> } | undefined {
  if ((raw.vrrp_version ?? DEFAULT_VRRP_VERSION) !== 2) return { passphrase: { kind: 'none' }, fields: {} };
  const given = raw.passphrase !== undefined || raw.passphrase_file !== undefined || raw.passphrase_env !== undefined;
  const authType = raw.auth_type ?? (given ? 'pass' : 'none');
  if (authType === 'ah') {
    sink.errors.push(configProblem('CARPD_CONFIG_VRRP2_AH', at('auth_type'), 'ah (RFC 2402 IP Authentication Header, Auth Type 2) is not supported: RFC 3768 removed it and keepalived and FRR do not interoperate with it; use pass or none'));
    return undefined;
  }
  if (authType === 'none') {
    if (given) sink.warnings.push(configProblem('CARPD_CONFIG_UNUSED_SETTING', at(passphraseKey(raw)), 'has no effect with auth_type none: adverts carry no password'));
    return { passphrase: { kind: 'none' }, fields: { version: 2, authType: 'none' } };
  }
  if (!given) {
    sink.errors.push(configProblem('CARPD_CONFIG_VRRP2_PASS_NEEDS_PASSPHRASE', at('auth_type'), 'pass needs the password: one of passphrase, passphrase_file, passphrase_env (at most 8 bytes, the same on every router)'));
    return undefined;
  }
  const passphrase = readPassphrase(VRRP2_SECRET_LIMIT);
  if (passphrase === undefined) return undefined;
  sink.warnings.push(
    configProblem('CARPD_CONFIG_VRRP2_CLEARTEXT', at(passphraseKey(raw)), 'is a VRRPv2 simple password: every advert carries it in clear, so anyone on the link can read it; it guards against misconfiguration, not attackers; use CARP where the link is not trusted'),
  );
  return { passphrase, fields: { version: 2, authType: 'pass' } };
}

function passphraseKey(raw: RawGroup): string {
  return raw.passphrase_file !== undefined ? 'passphrase_file' : raw.passphrase_env !== undefined ? 'passphrase_env' : 'passphrase';
}

/** The same check over already-parsed addresses (the flags'). */
export function vrrp2FamilyProblem(addresses: readonly IpAddress[]): IpAddress | undefined {
  return addresses.find((a) => !vrrpProfile(2).families.includes(a.family));
}
