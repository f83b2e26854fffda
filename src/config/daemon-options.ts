/**
 * The daemon's command line for one group (issue 3's contract):
 *
 *   carpd --interface IF --vhid N (--pass SECRET | --passfile FILE) --addr IP[/PREFIX] [--addr ...]
 *         [--srcip IP] [--advbase N] [--advskew N] [--preempt] [-m PATH] [-b PATH] [--vmac | --no-vmac]
 *
 * plus ucarp's --upscript/--downscript (the same as -m/-b) and a few operational settings.
 * Parsing is pure: it returns typed options or a list of errors that name the flag.
 */
import { parseArgs } from 'node:util';
import { CARP_MAX_PASSPHRASE_BYTES } from '../protocol/carp-key.ts';
import { tryParseIpAddress, type IpAddress } from '../protocol/ip-address.ts';
import type { MasterDownFormula } from '../fsm/intervals.ts';
import type { ReplayMode } from '../protocol/replay-guard.ts';

/** A virtual address with its prefix length (undefined: take the parent's subnet, else a host route). */
export interface VirtualAddress {
  readonly address: IpAddress;
  readonly prefixLength?: number;
}

/** Where the passphrase comes from (read by the daemon, never logged). */
export type PassphraseSource = { readonly kind: 'inline'; readonly value: string } | { readonly kind: 'file'; readonly path: string };

/** Validated options of one daemon process. */
export interface DaemonOptions {
  readonly interfaceName: string;
  readonly vhid: number;
  readonly passphrase: PassphraseSource;
  readonly addresses: readonly VirtualAddress[];
  readonly sourceAddress?: IpAddress;
  readonly advbase: number;
  readonly advskew: number;
  readonly preempt: boolean;
  /** keepalived's preempt_delay: no preemption for this long after start-up or link-up (0 = none). */
  readonly preemptDelaySeconds: number;
  readonly masterScript?: string;
  readonly backupScript?: string;
  readonly vmac: boolean;
  readonly virtualInterfaceName: string;
  readonly replayMode: ReplayMode;
  readonly masterDownFormula: MasterDownFormula;
  readonly stateDirectory: string;
  /** Seconds between gratuitous ARP / NA refreshes while MASTER; 0 disables. */
  readonly announceIntervalSeconds: number;
  readonly scriptTimeoutSeconds: number;
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error';
}

/** The result of parsing. */
export type DaemonOptionsResult = { readonly ok: true; readonly options: DaemonOptions } | { readonly ok: false; readonly errors: readonly string[] };

/** Usage text for the daemon flags. */
export const DAEMON_USAGE = `usage: carpd --interface IF --vhid N (--pass SECRET | --passfile FILE) --addr IP[/PREFIX] [--addr ...]
             [--srcip IP] [--advbase N] [--advskew N] [--preempt] [-m PATH] [-b PATH] [--vmac | --no-vmac]

  -i, --interface IF        interface the group lives on (adverts are sent and received there)
  -v, --vhid N              virtual host id, 1..255
  -p, --pass SECRET         passphrase, at most ${CARP_MAX_PASSPHRASE_BYTES} bytes (shared by every node)
      --passfile FILE       read the passphrase from the first line of FILE
  -a, --addr IP[/PREFIX]    virtual address (repeatable); without /PREFIX the parent's subnet is used
  -s, --srcip IP            source address of adverts (default: the interface's first address)
      --advbase N           advertisement base interval in seconds, 0..254 (default 1)
  -k, --advskew N           skew in 1/256 s, 0..254 (default 0); lower wins
  -P, --preempt             take over from a worse master
      --preempt-delay S     with --preempt: not within S seconds of start-up or link-up, 0..3600 (default 0)
  -m, --master-script PATH  run on becoming MASTER (also --upscript)
  -b, --backup-script PATH  run on becoming BACKUP (also --downscript)
      --vmac / --no-vmac    virtual interface carp<vhid> with MAC 00:00:5e:00:01:<vhid> (default on)
      --vif-name NAME       name of the virtual interface (default carp<vhid>)
      --replay MODE         strict (default) or compat (needed for ucarp / BSD peers)
      --master-down F       openbsd (default), freebsd or ucarp
      --state-dir DIR       where counters are kept (default /var/lib/carpd)
      --announce-interval S gratuitous ARP / NA refresh while MASTER, seconds (default 60, 0 = off)
      --script-timeout S    kill a script after S seconds (default 30)
      --log-level LEVEL     debug, info (default), warn, error
`;

const FLAGS = {
  interface: { type: 'string', short: 'i' },
  vhid: { type: 'string', short: 'v' },
  pass: { type: 'string', short: 'p' },
  passfile: { type: 'string' },
  addr: { type: 'string', short: 'a', multiple: true },
  srcip: { type: 'string', short: 's' },
  advbase: { type: 'string' },
  advskew: { type: 'string', short: 'k' },
  preempt: { type: 'boolean', short: 'P' },
  'preempt-delay': { type: 'string' },
  'master-script': { type: 'string', short: 'm' },
  'backup-script': { type: 'string', short: 'b' },
  upscript: { type: 'string' },
  downscript: { type: 'string' },
  vmac: { type: 'boolean' },
  'no-vmac': { type: 'boolean' },
  'vif-name': { type: 'string' },
  replay: { type: 'string' },
  'master-down': { type: 'string' },
  'state-dir': { type: 'string' },
  'announce-interval': { type: 'string' },
  'script-timeout': { type: 'string' },
  'log-level': { type: 'string' },
} as const;

/** Parses and validates the daemon's flags. */
export function parseDaemonOptions(args: readonly string[]): DaemonOptionsResult {
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    values = parseArgs({ args: [...args], options: FLAGS, strict: true, allowPositionals: false }).values as typeof values;
  } catch (error) {
    return { ok: false, errors: [error instanceof Error ? error.message : String(error)] };
  }
  const errors: string[] = [];
  const str = (name: string) => values[name] as string | undefined;
  const int = (name: string, min: number, max: number, fallback: number): number => {
    const raw = str(name);
    if (raw === undefined) return fallback;
    if (!/^[0-9]+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      errors.push(`--${name}: ${JSON.stringify(raw)} is not an integer in ${min}..${max}`);
      return fallback;
    }
    return Number(raw);
  };
  const interfaceName = str('interface');
  if (interfaceName === undefined || interfaceName === '') errors.push('--interface: required');
  else if (interfaceName.length > 15 || /[\s/]/.test(interfaceName)) errors.push(`--interface: ${JSON.stringify(interfaceName)} is not an interface name`);
  const vhid = int('vhid', 1, 255, 0);
  if (str('vhid') === undefined) errors.push('--vhid: required (1..255)');
  const passphrase = parsePassphrase(str('pass'), str('passfile'), errors);
  const addresses = (values['addr'] as string[] | undefined ?? []).map((text) => parseVirtualAddress(text, errors)).filter((a): a is VirtualAddress => a !== undefined);
  if (values['addr'] === undefined) errors.push('--addr: at least one virtual address is required');
  const srcipText = str('srcip');
  const sourceAddress = srcipText === undefined ? undefined : tryParseIpAddress(srcipText);
  if (srcipText !== undefined && sourceAddress === undefined) errors.push(`--srcip: ${JSON.stringify(srcipText)} is not an IP address`);
  const advbase = int('advbase', 0, 254, 1);
  const advskew = int('advskew', 0, 254, 0);
  if (advbase === 0 && advskew === 0 && str('advbase') !== undefined) errors.push('--advbase 0 needs a non-zero --advskew (ucarp refuses 0/0; OpenBSD sends every 1/256 s)');
  if (values['vmac'] === true && values['no-vmac'] === true) errors.push('--vmac and --no-vmac: choose one');
  const masterScript = pickScript(str('master-script'), str('upscript'), '--master-script/--upscript', errors);
  const backupScript = pickScript(str('backup-script'), str('downscript'), '--backup-script/--downscript', errors);
  const replayMode = oneOf(str('replay'), ['strict', 'compat'] as const, 'strict', '--replay', errors);
  const masterDownFormula = oneOf(str('master-down'), ['openbsd', 'freebsd', 'ucarp'] as const, 'openbsd', '--master-down', errors);
  const logLevel = oneOf(str('log-level'), ['debug', 'info', 'warn', 'error'] as const, 'info', '--log-level', errors);
  const announceIntervalSeconds = int('announce-interval', 0, 86_400, 60);
  const scriptTimeoutSeconds = int('script-timeout', 1, 3_600, 30);
  const preemptDelaySeconds = int('preempt-delay', 0, 3_600, 0);
  const virtualInterfaceName = str('vif-name') ?? `carp${vhid}`;
  if (virtualInterfaceName.length > 15) errors.push(`--vif-name: ${JSON.stringify(virtualInterfaceName)} is longer than 15 characters`);
  if (errors.length > 0 || interfaceName === undefined || passphrase === undefined) return { ok: false, errors };
  return {
    ok: true,
    options: {
      interfaceName,
      vhid,
      passphrase,
      addresses,
      ...(sourceAddress === undefined ? {} : { sourceAddress }),
      advbase,
      advskew,
      preempt: values['preempt'] === true,
      preemptDelaySeconds,
      ...(masterScript === undefined ? {} : { masterScript }),
      ...(backupScript === undefined ? {} : { backupScript }),
      vmac: values['no-vmac'] !== true,
      virtualInterfaceName,
      replayMode,
      masterDownFormula,
      stateDirectory: str('state-dir') ?? '/var/lib/carpd',
      announceIntervalSeconds,
      scriptTimeoutSeconds,
      logLevel,
    },
  };
}

function parsePassphrase(inline: string | undefined, file: string | undefined, errors: string[]): PassphraseSource | undefined {
  if (inline !== undefined && file !== undefined) {
    errors.push('--pass and --passfile: choose one');
    return undefined;
  }
  if (file !== undefined) return { kind: 'file', path: file };
  if (inline === undefined) {
    errors.push('--pass or --passfile: a passphrase is required (every node of the group uses the same one)');
    return undefined;
  }
  const bytes = Buffer.byteLength(inline, 'utf8');
  if (bytes > CARP_MAX_PASSPHRASE_BYTES) {
    errors.push(`--pass: the passphrase is ${bytes} bytes; CARP peers can use at most ${CARP_MAX_PASSPHRASE_BYTES}`);
    return undefined;
  }
  return { kind: 'inline', value: inline };
}

function parseVirtualAddress(text: string, errors: string[]): VirtualAddress | undefined {
  const [addressText, prefixText, extra] = text.split('/');
  const address = addressText === undefined ? undefined : tryParseIpAddress(addressText);
  if (address === undefined || extra !== undefined) {
    errors.push(`--addr: ${JSON.stringify(text)} is not IP[/PREFIX]`);
    return undefined;
  }
  if (prefixText === undefined) return { address };
  const max = address.family === 4 ? 32 : 128;
  if (!/^[0-9]{1,3}$/.test(prefixText) || Number(prefixText) < 1 || Number(prefixText) > max) {
    errors.push(`--addr: prefix in ${JSON.stringify(text)} must be 1..${max}`);
    return undefined;
  }
  return { address, prefixLength: Number(prefixText) };
}

function pickScript(primary: string | undefined, alias: string | undefined, names: string, errors: string[]): string | undefined {
  if (primary !== undefined && alias !== undefined && primary !== alias) errors.push(`${names}: given twice with different paths`);
  return primary ?? alias;
}

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], fallback: T, flag: string, errors: string[]): T {
  if (value === undefined) return fallback;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  errors.push(`${flag}: ${JSON.stringify(value)} is not one of ${allowed.join(', ')}`);
  return fallback;
}
