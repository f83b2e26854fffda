/**
 * Text for people: the normalised configuration as YAML with every default filled in (what
 * `carpd --check` prints), and the commented starter file that `carpd --init` prints. A
 * passphrase is shown by its source only (`<inline, 11 bytes>`, the file path, the variable
 * name), never by its value.
 */
import { stringify } from 'yaml';
import type { CarpdConfig, GroupConfig, HealthCheckConfig, PassphraseSource } from './config-types.ts';
import { DEFAULT_PROTOCOL } from './protocol-keys.ts';
import { configPartOf } from '../protocols/index.ts';

/** The normalised configuration as YAML in the file's own key names; secrets are never shown. */
export function renderNormalisedConfig(config: CarpdConfig): string {
  const doc = {
    log_level: config.logLevel,
    state_directory: config.stateDirectory,
    control_socket: config.controlSocket,
    ...(config.metricsListen === undefined ? {} : { metrics: { listen: config.metricsListen } }),
    groups: config.groups.map(renderGroup),
  };
  return stringify(doc, { lineWidth: 0 });
}

/**
 * One group, in the file's key order: the common keys here, the protocol's own from its module
 * (a VRRP group shows its VRRP keys, its id as `vrid`, and none of CARP's).
 */
function renderGroup(group: GroupConfig): Record<string, unknown> {
  const protocol = configPartOf(group).render(group, { addresses: renderAddresses(group), passphrase: renderPassphrase });
  return {
    name: group.name,
    protocol: group.protocol ?? DEFAULT_PROTOCOL,
    interface: group.interface,
    ...protocol.keys,
    ...(group.sourceAddress === undefined ? {} : { source_address: group.sourceAddress.text }),
    vmac: group.vmac,
    manage_addresses: group.manageAddresses,
    virtual_interface: group.virtualInterface,
    ...protocol.lateKeys,
    ...(group.preemptDelaySeconds === undefined ? {} : { preempt_delay: group.preemptDelaySeconds }),
    ...(group.scripts.user === undefined ? {} : { script_user: group.scripts.user.name }),
    scripts: {
      ...(group.scripts.master === undefined ? {} : { master: group.scripts.master }),
      ...(group.scripts.backup === undefined ? {} : { backup: group.scripts.backup }),
      ...(group.scripts.stop === undefined ? {} : { stop: group.scripts.stop }),
      timeout_seconds: group.scripts.timeoutSeconds,
      style: group.scripts.style,
      ...(group.scripts.extraParameter === undefined ? {} : { extra_parameter: group.scripts.extraParameter }),
      neutral: group.scripts.neutral,
    },
    announce: { interval_seconds: group.announce.intervalSeconds, router: group.announce.router },
    peers: group.peers.map((p) => p.text),
    unicast_ttl: group.unicastTtl,
    track: {
      interfaces: group.track.interfaces.map((t) => ({ interface: t.interface, weight: t.weight })),
      checks: group.track.checks.map(renderCheck),
    },
    ...(group.syncSet === undefined ? {} : { sync_set: group.syncSet }),
  };
}

function renderAddresses(group: Pick<GroupConfig, 'addresses'>): string[] {
  return group.addresses.map((a) => (a.prefixLength === undefined ? a.address.text : `${a.address.text}/${a.prefixLength}`));
}

/** The source of a passphrase, described without its value. */
export function describePassphrase(source: PassphraseSource): string {
  switch (source.kind) {
    case 'inline':
      return `<inline, ${Buffer.byteLength(source.value, 'utf8')} bytes>`;
    case 'file':
      return source.path;
    case 'env':
      return source.variable;
    case 'none':
      return '<none: VRRPv3 has no authentication>';
  }
}

/** The passphrase key with its source described; nothing for 'none' (a VRRP group has no such key). */
function renderPassphrase(source: PassphraseSource): Record<string, string> {
  if (source.kind === 'none') return {};
  const key = source.kind === 'inline' ? 'passphrase' : source.kind === 'file' ? 'passphrase_file' : 'passphrase_env';
  return { [key]: describePassphrase(source) };
}

function renderCheck(check: HealthCheckConfig): Record<string, unknown> {
  const target =
    check.kind === 'command'
      ? { command: [...check.command] }
      : check.kind === 'tcp'
        ? { tcp: check.host.includes(':') ? `[${check.host}]:${check.port}` : `${check.host}:${check.port}` }
        : { http: check.url, expect_status: [...check.expectStatus] };
  return {
    name: check.name,
    ...target,
    interval_seconds: check.intervalSeconds,
    timeout_seconds: check.timeoutSeconds,
    rise: check.rise,
    fall: check.fall,
    weight: check.weight,
  };
}

/**
 * A commented starter file for `carpd --init`: a CARP group, and a VRRP group commented out. It
 * parses cleanly as it is and with the VRRP group uncommented (tests check both).
 */
export function starterConfig(): string {
  return `# carpd configuration. Every key is described in docs/configuration.md;
# \`carpd --check -c FILE\` validates a file and prints it with every default filled in.

log_level: info                      # debug | info | warn | error
state_directory: /var/lib/carpd      # where advert counters are kept across restarts
control_socket: /run/carpd/carpd.sock
# metrics:
#   listen: 127.0.0.1:9273           # Prometheus /metrics; off when absent

# Keys here apply to every group unless the group sets them itself.
defaults:
  # The passphrase is shared by every node of a group: at most 19 bytes (CARP's limit).
  # Give exactly one of passphrase, passphrase_file (first line; chmod 600) or passphrase_env.
  passphrase_file: /etc/carpd/passphrase
  advbase: 1                         # seconds between adverts, 0..254
  preempt: true                      # take over from a master that advertises worse
  # preempt_delay: 30                # ...but not within 30 s of start-up or the link coming back
  # replay: compat                   # needed when peering with ucarp or BSD carp(4)

groups:
  - interface: eth0                  # the parent interface adverts go out on
    vhid: 1                          # 1..255, the same on every node of the group
    addresses:                       # IP or IP/PREFIX; without a prefix the parent's subnet's
      - 192.0.2.10/24
    advskew: 0                       # 0..254; the lowest advertises fastest and wins
    # scripts:
    #   master: /etc/carpd/master.sh # run as: <interface> <vhid> <state>
    #   backup: /etc/carpd/backup.sh
    #   stop: /etc/carpd/stop.sh     # when carpd stops (else backup.sh, if MASTER)
    # track:
    #   interfaces: [eth1]           # eth1 down makes this node a worse candidate
    #   checks:
    #     - name: web
    #       tcp: 127.0.0.1:80

  # A VRRPv3 group (RFC 5798), e.g. beside keepalived or FRR: delete the "# " before each line.
  # The CARP-only keys of defaults (passphrase_file, advbase) do not apply to it.
  # - protocol: vrrp                 # carp (the default) | vrrp
  #   interface: eth0
  #   vrid: 2                        # 1..255 (or vhid); not the vhid of a CARP group on eth0
  #   addresses:                     # one family per VRRP group: IPv6 goes in a group of its own
  #     - 192.0.2.20/24
  #   priority: 100                  # 1..255, the higher wins; 255 only on the owner of the addresses
  #   advert_interval: 1             # seconds between adverts, 0.01..40.95 in steps of 0.01
  #   vrrp_version: 3                # 3 (default) | 2: keepalived's default; IPv4, whole seconds 1..255,
  #                                  #   optional passphrase_file = auth_type pass, 8 bytes, SENT IN CLEAR
  #   preempt: true                  # take over from a lower priority (VRRP's default; CARP's is false)
  #   accept_mode: false             # true: a non-owner master accepts packets for the addresses
  #   checksum_mode: compatible      # compatible: also keepalived's and FRR's IPv4 variants; strict: RFC only
`;
}
