/**
 * ucarp's command line as a carpd front end: `carpd ucarp <ucarp 1.5.2 flags>` turns the exact
 * arguments of an `ExecStart=/usr/sbin/ucarp ...` line into a one-group CarpdConfig.
 *
 * The parsing follows glibc getopt_long as ucarp 1.5.2 calls it (checked against the Debian
 * binary, 1.5.2+git20192404.1a9aaf7-1): optstring "i:s:v:p:Pa:hb:k:x:nu:d:Dr:zf:Bo:SM"; long
 * options may be abbreviated to any unique prefix (the real long name is `--mcastip`, so the
 * `--mcast` of ucarp's help text is such a prefix); `--opt=value`, `--opt value`, `-ivalue`,
 * `-i value` and bundles (`-PnB`) all work; arguments are permuted (options may follow
 * non-options) and `--` ends the options. Integers are read like strtoul(…, 0) — decimal,
 * 0x hex or 0-prefixed octal — but, unlike ucarp, trailing junk and out-of-range values are
 * errors rather than silently truncated or wrapped.
 *
 * Semantics (docs/protocol-carp.md "Virtual MAC and Ethernet sources", "Master-down"): the scripts own the address (manageAddresses false, no virtual
 * MAC), scripts are called ucarp-style (`<interface> <vaddr> [xparam]`), master-down is
 * deadratio·advbase + advskew/256, and replay protection runs in 'compat' mode because ucarp
 * sends a random counter until it has heard a peer (docs/protocol-carp.md "What peers send").
 */
import { CARP_MAX_PASSPHRASE_BYTES } from '../protocols/carp/carp-key.ts';
import { tryParseIpAddress, type IpAddress } from '../wire/ip-address.ts';
import { CONFIG_DEFAULTS, type CarpdConfig, type GroupConfig, type LogLevel, type PassphraseSource } from './config-types.ts';

/** The result of parsing a ucarp command line. `help` is set (with no errors) for -h/--help. */
export type UcarpFlagsResult =
  | { ok: true; config: CarpdConfig; notes: string[] }
  | { ok: false; errors: string[]; help?: true };

/** The only IPv4 group CARP uses (ucarp's DEFAULT_MCASTIP); ucarp has no IPv6. */
export const UCARP_MULTICAST_GROUP = '224.0.0.18';

/** The syslog facility names ucarp's --facility accepts (ucarp's syslognames.h); others are errors, as in ucarp. */
const SYSLOG_FACILITIES = new Set([
  'auth', 'authpriv', 'cron', 'daemon', 'ftp', 'kern', 'lpr', 'mail', 'news', 'security', 'syslog', 'user', 'uucp',
  'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7',
]);

/** Usage text for `carpd ucarp --help`. */
export const UCARP_USAGE = `usage: carpd ucarp --interface=IF --srcip=IP --vhid=N (--pass=P | --passfile=FILE) --addr=IP [options]

ucarp 1.5.2's command line, run by carpd (docs/migration.md):
  -i, --interface=IF      interface (required: carpd does not guess one)
  -s, --srcip=IP          this host's real IPv4 address, the advert source (required)
  -m, --mcast=IP          only 224.0.0.18 is supported
  -v, --vhid=N            virtual host id, 1..255
  -p, --pass=P            password, at most ${CARP_MAX_PASSPHRASE_BYTES} bytes
  -o, --passfile=FILE     read the password from the first line of FILE
  -P, --preempt           become master as soon as possible
  -n, --neutral           no downscript on the first INIT -> BACKUP
  -a, --addr=IP           the virtual IPv4 address (the scripts add and remove it)
  -b, --advbase=S         advert base interval, 0..254 seconds (default 1)
  -k, --advskew=N         advert skew, 0..254 (255 is taken as 254, with a note)
  -u, --upscript=FILE     run as FILE <interface> <addr> [xparam] on becoming MASTER
  -d, --downscript=FILE   run the same way on becoming BACKUP (and on a graceful stop while MASTER)
  -r, --deadratio=N       master-down = N * advbase + advskew/256 (default 3)
  -x, --xparam=VALUE      third argument of the scripts
  -z, --shutdown          accepted: carpd always runs the downscript when stopping as MASTER
  -D, --debug             log at debug level
  -B, --daemonize, -S, --ignoreifstate, -M, --nomcast, -f, --facility=F
                          accepted; see the notes printed at start and docs/migration.md
  -h, --help              this text
`;

type OptionKey =
  | 'interface' | 'srcip' | 'mcast' | 'vhid' | 'pass' | 'passfile' | 'preempt' | 'neutral' | 'addr' | 'help'
  | 'advbase' | 'advskew' | 'upscript' | 'downscript' | 'deadratio' | 'debug' | 'shutdown' | 'daemonize'
  | 'ignoreifstate' | 'nomcast' | 'facility' | 'xparam';

interface OptionSpec {
  readonly key: OptionKey;
  /** The long name getopt_long matches prefixes of (ucarp's own spelling). */
  readonly long: string;
  readonly short: string;
  readonly takesValue: boolean;
}

/** ucarp 1.5.2's long_options[] and optstring, in its order. `-m` is in the help text but not in ucarp's optstring; carpd accepts it. */
const OPTIONS: readonly OptionSpec[] = [
  { key: 'interface', long: 'interface', short: 'i', takesValue: true },
  { key: 'srcip', long: 'srcip', short: 's', takesValue: true },
  { key: 'mcast', long: 'mcastip', short: 'm', takesValue: true },
  { key: 'vhid', long: 'vhid', short: 'v', takesValue: true },
  { key: 'pass', long: 'pass', short: 'p', takesValue: true },
  { key: 'passfile', long: 'passfile', short: 'o', takesValue: true },
  { key: 'preempt', long: 'preempt', short: 'P', takesValue: false },
  { key: 'neutral', long: 'neutral', short: 'n', takesValue: false },
  { key: 'addr', long: 'addr', short: 'a', takesValue: true },
  { key: 'help', long: 'help', short: 'h', takesValue: false },
  { key: 'advbase', long: 'advbase', short: 'b', takesValue: true },
  { key: 'advskew', long: 'advskew', short: 'k', takesValue: true },
  { key: 'upscript', long: 'upscript', short: 'u', takesValue: true },
  { key: 'downscript', long: 'downscript', short: 'd', takesValue: true },
  { key: 'deadratio', long: 'deadratio', short: 'r', takesValue: true },
  { key: 'debug', long: 'debug', short: 'D', takesValue: false },
  { key: 'shutdown', long: 'shutdown', short: 'z', takesValue: false },
  { key: 'facility', long: 'facility', short: 'f', takesValue: true },
  { key: 'daemonize', long: 'daemonize', short: 'B', takesValue: false },
  { key: 'ignoreifstate', long: 'ignoreifstate', short: 'S', takesValue: false },
  { key: 'nomcast', long: 'nomcast', short: 'M', takesValue: false },
  { key: 'xparam', long: 'xparam', short: 'x', takesValue: true },
];

/** One option occurrence as getopt_long returns it, with the spelling used (for messages). */
interface Occurrence {
  readonly spec: OptionSpec;
  readonly value: string;
  readonly spelled: string;
}

/** Splits the arguments the way getopt_long does; errors name the argument. */
function scan(args: readonly string[]): { occurrences: Occurrence[]; positionals: string[]; errors: string[] } {
  const occurrences: Occurrence[] = [];
  const positionals: string[] = [];
  const errors: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '--') {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = arg.slice(2, eq < 0 ? undefined : eq);
      const exact = OPTIONS.find((o) => o.long === name);
      const matches = exact !== undefined ? [exact] : OPTIONS.filter((o) => o.long.startsWith(name));
      const spec = matches[0];
      if (spec === undefined || name === '') {
        errors.push(`${arg}: unrecognized option`);
        continue;
      }
      if (matches.length > 1) {
        errors.push(`${arg}: ambiguous; possibilities: ${matches.map((o) => `--${o.long}`).join(' ')}`);
        continue;
      }
      const spelled = `--${spec.key}`;
      if (!spec.takesValue) {
        if (eq >= 0) errors.push(`${spelled}: takes no value`);
        else occurrences.push({ spec, value: '', spelled });
      } else if (eq >= 0) {
        occurrences.push({ spec, value: arg.slice(eq + 1), spelled });
      } else if (i + 1 < args.length) {
        occurrences.push({ spec, value: args[++i] ?? '', spelled });
      } else {
        errors.push(`${spelled}: requires a value`);
      }
      continue;
    }
    if (arg.startsWith('-') && arg !== '-') {
      for (let j = 1; j < arg.length; j++) {
        const letter = arg[j] ?? '';
        const spec = OPTIONS.find((o) => o.short === letter);
        if (spec === undefined) {
          errors.push(`-${letter}: invalid option`);
          continue;
        }
        const spelled = `-${letter} (--${spec.key})`;
        if (!spec.takesValue) {
          occurrences.push({ spec, value: '', spelled });
          continue;
        }
        const rest = arg.slice(j + 1);
        if (rest !== '') occurrences.push({ spec, value: rest, spelled });
        else if (i + 1 < args.length) occurrences.push({ spec, value: args[++i] ?? '', spelled });
        else errors.push(`${spelled}: requires a value`);
        break;
      }
      continue;
    }
    positionals.push(arg);
  }
  return { occurrences, positionals, errors };
}

/** strtoul(text, NULL, 0) on the whole string: decimal, 0x hex, 0-prefixed octal; undefined on junk. */
function parseCInteger(text: string): number | undefined {
  const t = text.trim();
  if (/^0[xX][0-9a-fA-F]+$/.test(t)) return Number.parseInt(t.slice(2), 16);
  if (/^0[0-7]+$/.test(t)) return Number.parseInt(t.slice(1), 8);
  if (/^(0|[1-9][0-9]*)$/.test(t)) return Number(t);
  return undefined;
}

/** Parses ucarp 1.5.2's command line into a one-group CarpdConfig, or lists every error. */
export function parseUcarpFlags(args: string[]): UcarpFlagsResult {
  const { occurrences, positionals, errors } = scan(args);
  const notes: string[] = [];
  if (occurrences.some((o) => o.spec.key === 'help')) return { ok: false, errors: [], help: true };
  for (const p of positionals) errors.push(`${JSON.stringify(p)}: unexpected argument (ucarp takes options only)`);

  // Later occurrences win, as ucarp's globals do; --pass and --passfile share one slot.
  const last = new Map<OptionKey, Occurrence>();
  let passphraseOccurrence: Occurrence | undefined;
  for (const o of occurrences) {
    const previous = last.get(o.spec.key);
    if (previous !== undefined && previous.value !== o.value && o.spec.takesValue) {
      notes.push(`${o.spelled} given more than once: using ${o.spec.key === 'pass' ? 'the last one' : JSON.stringify(o.value)}, as ucarp does`);
    }
    last.set(o.spec.key, o);
    if (o.spec.key === 'pass' || o.spec.key === 'passfile') passphraseOccurrence = o;
  }
  const value = (key: OptionKey): string | undefined => last.get(key)?.value;
  const flag = (key: OptionKey): boolean => last.has(key);
  const int = (key: OptionKey, min: number, max: number, fallback: number, why = ''): number => {
    const o = last.get(key);
    if (o === undefined) return fallback;
    const n = parseCInteger(o.value);
    if (n === undefined || n < min || n > max) {
      errors.push(`${o.spelled}: ${JSON.stringify(o.value)} is not an integer in ${min}..${max}${why}`);
      return fallback;
    }
    return n;
  };

  const interfaceName = value('interface');
  if (interfaceName === undefined || interfaceName === '') {
    errors.push('--interface: required (ucarp would pick the first interface libpcap finds; carpd needs it named)');
  } else if (interfaceName.length > 15 || /[\s/]/.test(interfaceName)) {
    errors.push(`--interface: ${JSON.stringify(interfaceName)} is not an interface name`);
  }

  const sourceAddress = ipv4(last.get('srcip'), 'this host\'s real address', errors);
  if (!flag('srcip')) errors.push('--srcip: required (this host\'s real IPv4 address on the interface, as ucarp requires)');
  const address = ipv4(last.get('addr'), 'the virtual address', errors);
  if (!flag('addr')) errors.push('--addr: required (the virtual IPv4 address)');

  const mcast = last.get('mcast');
  if (mcast !== undefined && mcast.value !== UCARP_MULTICAST_GROUP) {
    errors.push(`${mcast.spelled}: ${JSON.stringify(mcast.value)} is not supported; carpd sends and listens on ${UCARP_MULTICAST_GROUP} only (use unicast peers in the config file for anything else)`);
  }

  const vhid = int('vhid', 1, 255, 0);
  if (!flag('vhid')) errors.push('--vhid: required (1..255)');
  const passphrase = readPassphrase(passphraseOccurrence, errors);
  const advbase = int('advbase', 0, 254, CONFIG_DEFAULTS.advbase, ' (255 is the bow-out value: a BSD peer would read it as leaving)');
  let advskew = int('advskew', 0, 255, CONFIG_DEFAULTS.advskew);
  if (advskew === 255) {
    advskew = 254;
    notes.push('--advskew 255 taken as 254: advskew 255 is reserved for the bow-out advert in carpd and OpenBSD; the node stays the least preferred, and its interval is 1/256 s shorter');
  }
  if (advbase === 0 && advskew === 0 && flag('advbase')) errors.push('--advbase: 0 needs a non-zero --advskew (ucarp refuses 0/0 too)');
  const deadRatio = int('deadratio', 1, 100, CONFIG_DEFAULTS.deadRatio, ' (ucarp: "Dead ratio can\'t be zero")');

  const facility = last.get('facility');
  if (facility !== undefined) {
    if (!SYSLOG_FACILITIES.has(facility.value.toLowerCase())) errors.push(`${facility.spelled}: unknown syslog facility ${JSON.stringify(facility.value)}`);
    else notes.push('--facility: ignored; carpd logs to stderr (the journal under systemd), filter with journalctl -u');
  }
  if (flag('daemonize')) notes.push('--daemonize: ignored; carpd stays in the foreground, run it under systemd (contrib/carpd-ucarp@.service)');
  if (flag('nomcast')) notes.push('--nomcast: ignored; carpd sends to the multicast MAC 01:00:5e:00:00:12 and still receives broadcast-framed adverts from ucarp peers (the IP destination is 224.0.0.18 either way)');
  if (flag('ignoreifstate')) notes.push('--ignoreifstate: ignored; carpd follows the link (netlink): on link down it leaves MASTER (downscript) and waits, and on link up it starts again as BACKUP');
  if (flag('debug')) notes.push('--debug: log level set to debug');
  notes.push(flag('shutdown')
    ? '--shutdown: carpd always runs the downscript when it stops as MASTER, and also sends a bow-out advert so the backup takes over at once'
    : 'carpd runs the downscript when it stops as MASTER even without --shutdown (so the address does not stay behind), and sends a bow-out advert');
  for (const key of ['upscript', 'downscript'] as const) {
    const script = value(key);
    if (script !== undefined && !script.startsWith('/')) notes.push(`--${key}: ${JSON.stringify(script)} is relative: it is resolved against carpd's working directory (/ under systemd), as ucarp would`);
  }
  if (!flag('upscript')) notes.push('no --upscript: nothing will put the address on the interface when this node becomes MASTER');
  if (!flag('downscript')) notes.push('no --downscript: nothing will remove the address when this node leaves MASTER');

  if (errors.length > 0 || interfaceName === undefined || passphrase === undefined || address === undefined || sourceAddress === undefined) {
    return { ok: false, errors };
  }
  const xparam = value('xparam');
  const upscript = value('upscript');
  const downscript = value('downscript');
  const group: GroupConfig = {
    name: `${interfaceName}/vhid${vhid}`,
    interface: interfaceName,
    vhid,
    addresses: [{ address }],
    passphrase,
    advbase,
    advskew,
    preempt: flag('preempt'),
    masterDown: 'ucarp',
    deadRatio,
    sourceAddress,
    vmac: false,
    manageAddresses: false,
    virtualInterface: `carp${vhid}`,
    replay: { mode: 'compat', windowSeconds: CONFIG_DEFAULTS.replayWindowSeconds },
    scripts: {
      ...(upscript === undefined ? {} : { master: upscript }),
      ...(downscript === undefined ? {} : { backup: downscript }),
      timeoutSeconds: CONFIG_DEFAULTS.scriptTimeoutSeconds,
      style: 'ucarp',
      ...(xparam === undefined ? {} : { extraParameter: xparam }),
      neutral: flag('neutral'),
    },
    announce: { intervalSeconds: CONFIG_DEFAULTS.announceIntervalSeconds, router: false },
    peers: [],
    unicastTtl: CONFIG_DEFAULTS.unicastTtl,
    track: { interfaces: [], checks: [] },
  };
  const logLevel: LogLevel = flag('debug') ? 'debug' : CONFIG_DEFAULTS.logLevel;
  const config: CarpdConfig = {
    logLevel,
    stateDirectory: CONFIG_DEFAULTS.stateDirectory,
    // One process per vhid, as with ucarp: each needs its own control socket.
    controlSocket: `/run/carpd/ucarp-${interfaceName}-vhid${vhid}.sock`,
    groups: [group],
  };
  return { ok: true, config, notes };
}

function ipv4(o: Occurrence | undefined, what: string, errors: string[]): IpAddress | undefined {
  if (o === undefined) return undefined;
  const address = tryParseIpAddress(o.value);
  if (address === undefined || address.family !== 4) {
    errors.push(`${o.spelled}: ${JSON.stringify(o.value)} is not an IPv4 address (${what}; ucarp is IPv4 only, use the config file for IPv6)`);
    return undefined;
  }
  return address;
}

function readPassphrase(o: Occurrence | undefined, errors: string[]): PassphraseSource | undefined {
  if (o === undefined) {
    errors.push('--pass or --passfile: a password is required (every node of the group uses the same one)');
    return undefined;
  }
  if (o.spec.key === 'passfile') {
    if (o.value === '') errors.push(`${o.spelled}: empty path`);
    return o.value === '' ? undefined : { kind: 'file', path: o.value };
  }
  const bytes = Buffer.byteLength(o.value, 'utf8');
  if (bytes === 0 || bytes > CARP_MAX_PASSPHRASE_BYTES) {
    // Never echo the password itself.
    errors.push(`${o.spelled}: the password is ${bytes} bytes; CARP peers use 1..${CARP_MAX_PASSPHRASE_BYTES}`);
    return undefined;
  }
  return { kind: 'inline', value: o.value };
}
