/**
 * The catalogue of carpd's user-facing error codes (docs/development.md "Code principles", 10): the configuration's,
 * the daemon's start-up and reload errors, and the daemon's answers on the control socket. Every
 * code a source file under src/ emits is listed here and in docs/errors.md;
 * test/config/error-codes.test.ts fails when the two disagree in either direction, when a source
 * file emits a code that is not listed, or when a listed code is emitted nowhere.
 * Codes are stable: scripts and people may match on them, so never rename one.
 */

/** Every code, with the one-line summary that docs/errors.md expands on. */
export const CONFIG_ERROR_CODES = {
  CARPD_USAGE: { summary: 'a command-line flag is unknown, missing or malformed' },
  CARPD_NO_INTERFACE: { summary: 'a group\'s interface does not exist when the daemon (or a reload) starts the group' },
  CARPD_CONFIG_READ: { summary: 'the configuration file could not be read' },
  CARPD_CONFIG_EMPTY: { summary: 'the configuration file is empty' },
  CARPD_CONFIG_YAML: { summary: 'the file is not valid YAML' },
  CARPD_CONFIG_DUPLICATE_KEY: { summary: 'a key appears twice in the same YAML mapping' },
  CARPD_CONFIG_UNKNOWN_KEY: { summary: 'a key that carpd does not know' },
  CARPD_CONFIG_TYPE: { summary: 'a value of the wrong type (string for number, and so on)' },
  CARPD_CONFIG_REQUIRED: { summary: 'a required key is missing' },
  CARPD_CONFIG_ENUM: { summary: 'a value that is not one of the allowed words' },
  CARPD_CONFIG_RANGE: { summary: 'a number outside its allowed range' },
  CARPD_CONFIG_RESOLUTION: { summary: 'a duration finer than the protocol can carry (advert_interval: whole centiseconds)' },
  CARPD_CONFIG_EMPTY_VALUE: { summary: 'an empty string or list where one is not allowed' },
  CARPD_CONFIG_NAME: { summary: 'a group or check name with spaces or control characters' },
  CARPD_CONFIG_INTERFACE_NAME: { summary: 'an interface name that Linux cannot have (over 15 bytes, or with / or spaces)' },
  CARPD_CONFIG_RELATIVE_PATH: { summary: 'a file path that is not absolute' },
  CARPD_CONFIG_NO_GROUPS: { summary: 'the file defines no groups' },
  CARPD_CONFIG_ADVBASE_ZERO: { summary: 'advbase 0 together with advskew 0' },
  CARPD_CONFIG_ADDRESS: { summary: 'a value that is not a usable IP address' },
  CARPD_CONFIG_PREFIX: { summary: 'a prefix length outside /1../32 (IPv4) or /1../128 (IPv6)' },
  CARPD_CONFIG_NO_ADDRESSES: { summary: 'a group with an empty address list' },
  CARPD_CONFIG_DUPLICATE_ADDRESS: { summary: 'a virtual address used twice (in one group or two)' },
  CARPD_CONFIG_PEER_FAMILY: { summary: 'a group with unicast peers has an address family none of its peers has' },
  CARPD_CONFIG_SOURCE_FAMILY: { summary: 'source_address is of a family none of the group\'s addresses has' },
  CARPD_CONFIG_PASSPHRASE_MISSING: { summary: 'a group with no passphrase source' },
  CARPD_CONFIG_PASSPHRASE_CONFLICT: { summary: 'a group with more than one of passphrase, passphrase_file, passphrase_env' },
  CARPD_CONFIG_PASSPHRASE_TOO_LONG: { summary: 'a passphrase over 19 bytes, which CARP peers cannot use' },
  CARPD_CONFIG_PASSPHRASE_EMPTY: { summary: 'an empty passphrase' },
  CARPD_CONFIG_PASSPHRASE_ENV_UNSET: { summary: 'passphrase_env names a variable that is not set' },
  CARPD_CONFIG_PASSPHRASE_FILE_MODE: { summary: 'warning: the passphrase file is readable by group or others' },
  CARPD_CONFIG_PASSPHRASE_FILE_UNREADABLE: { summary: 'the passphrase file could not be read at load time (an error for carpd --check when it does not exist)' },
  CARPD_CONFIG_DUPLICATE_VHID: { summary: 'two groups with the same vhid/VRID on one interface (two VRRP groups may share one when their families differ)' },
  CARPD_CONFIG_NOT_FOR_VRRP: { summary: 'a CARP-only key (passphrase, advbase, advskew, replay, ...) in a VRRP group' },
  CARPD_CONFIG_NOT_FOR_CARP: { summary: 'a VRRP-only key (vrid, priority, advert_interval, accept_mode, checksum_mode) in a CARP group' },
  CARPD_CONFIG_VRRP_FAMILY: { summary: 'a VRRP group with both IPv4 and IPv6 addresses (one group per family)' },
  CARPD_CONFIG_VRRP2_IPV4_ONLY: { summary: 'a VRRPv2 group (vrrp_version: 2) with an IPv6 address: VRRPv2 is IPv4 only' },
  CARPD_CONFIG_VRRP2_WHOLE_SECONDS: { summary: 'a VRRPv2 group whose advert_interval is not a whole number of seconds' },
  CARPD_CONFIG_VRRP2_AH: { summary: 'auth_type ah: VRRPv2\'s IP Authentication Header is not supported' },
  CARPD_CONFIG_VRRP2_PASS_NEEDS_PASSPHRASE: { summary: 'auth_type pass without passphrase, passphrase_file or passphrase_env' },
  CARPD_CONFIG_VRRP2_PASSWORD_TOO_LONG: { summary: 'a VRRPv2 simple password over 8 bytes' },
  CARPD_CONFIG_VRRP2_CLEARTEXT: { summary: 'warning: a VRRPv2 simple password is sent in clear in every advert' },
  CARPD_CONFIG_ALIAS_CONFLICT: { summary: 'a setting given under both of its names (vhid and vrid)' },
  CARPD_CONFIG_DUPLICATE_NAME: { summary: 'two groups with the same name' },
  CARPD_CONFIG_DUPLICATE_VIRTUAL_INTERFACE: { summary: 'two groups with the same virtual interface name' },
  CARPD_CONFIG_DUPLICATE_TRACK: { summary: 'an interface tracked twice by one group' },
  CARPD_CONFIG_DUPLICATE_CHECK: { summary: 'two health checks with the same name in one group' },
  CARPD_CONFIG_CHECK_KIND: { summary: 'a health check without exactly one of command, tcp, http' },
  CARPD_CONFIG_CHECK_TIMEOUT: { summary: 'a health check whose timeout is not shorter than its interval' },
  CARPD_CONFIG_HOST_PORT: { summary: 'a value that is not HOST:PORT (or [IPv6]:PORT)' },
  CARPD_CONFIG_URL: { summary: 'an http check URL that is not http:// or https://' },
  CARPD_CONFIG_UNUSED_SETTING: { summary: 'warning: a setting that has no effect with the others given' },
  CARPD_CONFIG_LONELY_SYNC_SET: { summary: 'warning: a sync set with only one group' },
  CARPD_CONFIG_SCRIPT_STOP_BUDGET: { summary: 'warning: scripts.timeout_seconds is longer than the stop budget; the final script at shutdown is cut to it' },
  CARPD_CONFIG_NO_INTERFACE: { summary: 'a configured or tracked interface does not exist on this system' },
  CARPD_CONFIG_SCRIPT_USER: { summary: 'script_user names a user that does not exist on this system' },
  CARPD_CONFIG_SCRIPT_UNSAFE: { summary: 'a script or command check (or a directory above it) could be changed by someone other than root and the user it runs as' },
  // The daemon: start-up (exit status 2), reload, and answers on the control socket.
  CARPD_STARTUP: { summary: 'the daemon could not start, for a reason without a more specific code' },
  CARPD_PASSPHRASE: { summary: 'a group\'s passphrase could not be read or is not usable when the daemon starts or reloads' },
  CARPD_VRRP_OWNER_ADDRESS: { summary: 'a VRRP group with priority 255 (the address owner) names an address that is not on its interface' },
  CARPD_HOST_ADDRESS: { summary: 'a virtual address is an address this host already has, on any interface (--check, start, reload); VRRP address owners excepted' },
  CARPD_VIRTUAL_INTERFACE_TAKEN: { summary: 'a group\'s virtual interface name (carp<vhid>) is taken by an interface carpd did not create' },
  CARPD_VIP_OUTSIDE_SUBNET: { summary: 'warning: a virtual address lies outside every subnet configured on its interface' },
  CARPD_VRRP_NO_SOURCE: { summary: 'a VRRP group\'s interface has no address to send adverts from (IPv4: any address, IPv6: a link-local one)' },
  CARPD_SCRIPT_USER_PRIVILEGE: { summary: 'script_user is another user, but carpd lacks CAP_SETUID and CAP_SETGID to start scripts as that user' },
  CARPD_METRICS_LISTEN: { summary: 'the metrics listen address is malformed, or the listener could not be bound' },
  CARPD_ALREADY_RUNNING: { summary: 'another carpd runs one of the groups, or answers on the control socket' },
  CARPD_STATE_DIRECTORY: { summary: 'the state directory or a group\'s lock file in it could not be created or written' },
  CARPD_CONTROL_SOCKET: { summary: 'the control socket could not be created' },
  CARPD_STOPPED: { summary: 'a SIGTERM or SIGINT arrived during start-up; what was started has been stopped' },
  CARPD_NO_GROUP: { summary: 'a control command names a group that does not run' },
  CARPD_NO_CONFIG_FILE: { summary: 'reload asked of a daemon started from flags, which has no file to re-read' },
  CARPD_RELOAD_INVALID: { summary: 'reload refused: the new configuration file does not validate; nothing changed' },
  CARPD_RELOAD_FAILED: { summary: 'reload failed while being applied; the running groups are as before' },
  // carpd --from-keepalived (docs/migration.md "The converter").
  CARPD_KEEPALIVED_SYNTAX: { summary: 'the keepalived.conf cannot be read as blocks: a } with no {, a block not closed, nesting too deep' },
  CARPD_KEEPALIVED_INCLUDE: { summary: 'a keepalived include that includes itself (directly or not), nests too deep or names too many files' },
  CARPD_KEEPALIVED_NOT_CONVERTED: { summary: 'warning: a keepalived keyword, block or value that the converter left out (exit status 3)' },
  CARPD_KEEPALIVED_OUT_OF_SCOPE: { summary: 'warning: a keepalived LVS or BFD block, which carpd does not do (exit status 3)' },
  CARPD_KEEPALIVED_DIFFERS: { summary: 'note: converted, but carpd behaves otherwise (script arguments, FAULT, state)' },
  CARPD_KEEPALIVED_SECRET_EXISTS: { summary: '--write-secrets found a passphrase file already there and left it as it was' },
  // carpd witness (docs/partitions.md "Running the witness").
  CARPD_WITNESS_LISTEN: { summary: 'carpd witness: the --listen address is not ADDR:PORT, or could not be bound' },
  CARPD_WITNESS_PASSFILE: { summary: 'carpd witness: the --passfile is missing, not mode 0600 or 0400, or empty' },
} as const satisfies Record<string, { readonly summary: string }>;

/** A code from the catalogue. */
export type ConfigErrorCode = keyof typeof CONFIG_ERROR_CODES;

/** One problem found in a configuration: an error, or a warning when returned as such. */
export interface ConfigProblem {
  /** Stable code from CONFIG_ERROR_CODES, e.g. 'CARPD_CONFIG_RANGE'. */
  readonly code: string;
  /** Where, in the YAML's own names: 'groups[1].vhid'; '' for the file as a whole. */
  readonly path: string;
  /** `<path>: <problem and what is allowed>`, e.g. 'groups[1].vhid: 300 is outside 1..255'. */
  readonly message: string;
  /** 1-based line in the file, when known. */
  readonly line?: number;
  /** 1-based column of that line, when known. */
  readonly column?: number;
}

/**
 * One problem as carpd prints it: `FILE:LINE:COLUMN: message [CODE]` as compilers do (so editors
 * jump there), the position left out when unknown. --check and refused reloads both use it.
 */
export function formatConfigProblem(problem: Pick<ConfigProblem, 'code' | 'message' | 'line' | 'column'>, file?: string): string {
  const column = problem.column === undefined ? '' : `:${problem.column}`;
  const where = file !== undefined && problem.line !== undefined ? `${file}:${problem.line}${column}: ` : '';
  return `${where}${problem.message} [${problem.code}]`;
}

/** A path segment: a mapping key or a list index. */
export type PathSegment = string | number;

/** Formats path segments as `groups[1].track.checks[0].weight`. */
export function formatPath(segments: readonly PathSegment[]): string {
  let out = '';
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? segment : `.${segment}`;
  }
  return out;
}

/** Builds a problem whose message is `<path>: <detail>` (just the detail for the whole file). */
export function configProblem(code: ConfigErrorCode, segments: readonly PathSegment[], detail: string, line?: number, column?: number): ConfigProblem {
  const path = formatPath(segments);
  return { code, path, message: path === '' ? detail : `${path}: ${detail}`, ...(line === undefined ? {} : { line }), ...(column === undefined ? {} : { column }) };
}
