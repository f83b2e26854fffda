/**
 * Reading keepalived's values (numbers, addresses, weights) for the converter, each naming what
 * it cannot read instead of guessing (docs/migration.md "The converter").
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { NoteSink } from './notes.ts';
import type { Statement } from './parse.ts';

/** A statement's words after the keyword, as text. */
export function argTexts(statement: Statement): string[] {
  return statement.args.map((word) => word.text);
}

/** `keyword args…` of a statement, for messages. */
export function describe(statement: Statement): string {
  return [statement.keyword, ...argTexts(statement)].join(' ').slice(0, 200);
}

/** A number in min..max from a statement's first argument (keepalived's TIMER and integer values), else a note and undefined. */
export function numberArg(statement: Statement, sink: NoteSink, min: number, max: number, integer = false): number | undefined {
  const text = statement.args[0]?.text;
  const value = text !== undefined && /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : Number.NaN;
  if (Number.isNaN(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    sink.leftOut(statement, describe(statement), `needs ${integer ? 'an integer' : 'a number'} in ${min}..${max}`);
    return undefined;
  }
  return value;
}

/** An address family. */
export type Family = 4 | 6;

/** The family of an address, or undefined. */
export function familyOf(address: string): Family | undefined {
  if (isIPv4(address)) return 4;
  if (isIPv6(address)) return 6;
  return undefined;
}

/** `IP[/PREFIX]` as carpd writes it, always with the prefix: keepalived's default is /32 (/128), where carpd's would be the subnet's. */
export function parseAddress(text: string): { address: string; family: Family } | { problem: string } {
  const [ip = '', prefix, ...rest] = text.split('/');
  const family = familyOf(ip);
  if (family === undefined || rest.length > 0) return { problem: 'is not an IP address' };
  const max = family === 4 ? 32 : 128;
  if (prefix === undefined) return { address: `${ip}/${max}`, family };
  if (!/^\d{1,3}$/.test(prefix) || Number(prefix) < 1 || Number(prefix) > max) return { problem: `prefix /${prefix} is outside /1../${max}` };
  return { address: `${ip}/${Number(prefix)}`, family };
}

/**
 * A tracking weight of keepalived (`weight W [reverse]`, -253..253) in carpd's terms: a failing
 * tracker lowers the priority by `weight` (0..255), and `bonus` is what keepalived adds while the
 * tracker is up (a positive weight), which carpd expresses as a higher base priority. keepalived's
 * weight 0 puts the instance in FAULT; carpd has no FAULT state and uses 255 (the priority goes
 * to 1, so every peer takes over). Without `weight`, `fallback` (a vrrp_script's own weight).
 * `reverse` has no equivalent: undefined, with a note.
 */
export function trackWeight(words: readonly string[], at: Statement, what: string, sink: NoteSink, fallback = 0): { weight: number; bonus: number } | undefined {
  const index = words.indexOf('weight');
  if (words.includes('reverse')) {
    sink.leftOut(at, what, 'reverse has no equivalent in carpd (a failing tracker always lowers the priority): tracker left out');
    return undefined;
  }
  const text = index < 0 ? String(fallback) : words[index + 1];
  if (text === undefined || !/^[-+]?\d+$/.test(text) || Math.abs(Number(text)) > 254) {
    sink.leftOut(at, what, 'weight needs an integer in -254..254: tracker left out');
    return undefined;
  }
  const weight = Number(text);
  if (weight === 0) return { weight: 255, bonus: 0 };
  return weight < 0 ? { weight: -weight, bonus: 0 } : { weight, bonus: weight };
}

/** A carpd name (group, check, sync set) from a keepalived one: carpd's names have no blanks, quotes or control characters. */
export function carpdName(name: string): string {
  const cleaned = name.replace(/[\s"'\\\x00-\x1f\x7f]/g, '_').slice(0, 64);
  return cleaned === '' ? 'unnamed' : cleaned;
}
