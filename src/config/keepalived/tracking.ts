/**
 * keepalived's trackers in carpd's terms (docs/migration.md "The converter"): `vrrp_script`
 * blocks become command checks (`track.checks`), `track_interface` becomes `track.interfaces`,
 * and the weights follow values.ts's trackWeight.
 */
import type { NoteSink } from './notes.ts';
import type { Statement } from './parse.ts';
import { splitCommand } from './lex.ts';
import { argTexts, carpdName, describe, numberArg, trackWeight } from './values.ts';

/** A vrrp_script block, read. */
export interface ScriptDefinition {
  readonly name: string;
  readonly command: readonly string[];
  readonly interval: number;
  readonly timeout: number | undefined;
  /** keepalived's weight words (`weight -50` or nothing), for trackWeight. */
  readonly weightWords: readonly string[];
  readonly rise: number;
  readonly fall: number;
}

/** A carpd command check as written in carpd.yaml. */
export interface CheckOut {
  name: string;
  command: string[];
  interval_seconds: number;
  timeout_seconds: number;
  rise: number;
  fall: number;
  weight: number;
}

/** A carpd tracked interface as written in carpd.yaml. */
export interface TrackedInterfaceOut {
  interface: string;
  weight: number;
}

/** Reads a `vrrp_script NAME { … }` block; undefined (with a note) when it has no script. */
export function readScript(block: Statement, sink: NoteSink): ScriptDefinition | undefined {
  const name = block.args[0]?.text;
  if (name === undefined) {
    sink.leftOut(block, 'vrrp_script', 'has no name');
    return undefined;
  }
  let command: string[] | undefined;
  let interval = 1;
  let timeout: number | undefined;
  let weightWords: string[] = [];
  // keepalived's defaults: one success or failure changes the state.
  let rise = 1;
  let fall = 1;
  for (const child of block.children ?? []) {
    switch (child.keyword) {
      case 'script':
        command = child.args.length === 1 ? splitCommand(child.args[0]?.text ?? '') : argTexts(child);
        break;
      case 'interval':
        interval = numberArg(child, sink, 0.001, 3600) ?? interval;
        break;
      case 'timeout':
        timeout = numberArg(child, sink, 0.001, 3600);
        break;
      case 'weight':
        weightWords = ['weight', ...argTexts(child)];
        break;
      case 'rise':
        rise = numberArg(child, sink, 1, 100, true) ?? rise;
        break;
      case 'fall':
        fall = numberArg(child, sink, 1, 100, true) ?? fall;
        break;
      default:
        sink.leftOut(child, describe(child), child.keyword === 'user' ? 'carpd runs checks as the group\'s script_user' : `no equivalent in carpd checks (vrrp_script ${name})`);
    }
  }
  if (command === undefined || command.length === 0) {
    sink.leftOut(block, `vrrp_script ${name}`, 'has no script');
    return undefined;
  }
  return { name, command, interval, timeout, weightWords, rise, fall };
}

/**
 * The check for one `track_script` line of an instance. carpd's timeout must be shorter than
 * the interval; keepalived's defaults to the interval, so it becomes 9/10 of it.
 */
export function checkFor(line: Statement, scripts: ReadonlyMap<string, ScriptDefinition>, sink: NoteSink): { check: CheckOut; bonus: number } | undefined {
  const words = [line.keyword, ...argTexts(line)];
  const script = scripts.get(line.keyword);
  if (script === undefined) {
    sink.leftOut(line, `track_script ${line.keyword}`, 'names no vrrp_script');
    return undefined;
  }
  const own = words.includes('weight') ? words : [...words, ...script.weightWords];
  const weight = trackWeight(own, line, `track_script ${describe(line)}`, sink);
  if (weight === undefined) return undefined;
  const interval = Math.max(0.2, Math.round(script.interval * 10) / 10);
  if (interval !== script.interval) sink.differs(line, `track_script ${line.keyword}`, `interval ${script.interval} s is ${interval} s in carpd (steps of 0.1 s, at least 0.2 s)`);
  const wanted = script.timeout ?? interval;
  const rounded = Math.max(0.1, Math.round(wanted * 10) / 10);
  // 9/10 of the interval, rounded down to 0.1 s: at least 0.1, below the interval (at least 0.2).
  const timeout = rounded < interval ? rounded : Math.floor(interval * 9 + 1e-9) / 10;
  if (timeout !== wanted) sink.differs(line, `track_script ${line.keyword}`, `timeout ${timeout} s: carpd needs it shorter than the interval (${interval} s)`);
  const check: CheckOut = { name: carpdName(script.name), command: [...script.command], interval_seconds: interval, timeout_seconds: timeout, rise: script.rise, fall: script.fall, weight: weight.weight };
  return { check, bonus: weight.bonus };
}

/** The tracked interface for one `track_interface` line. */
export function trackedInterfaceFor(line: Statement, sink: NoteSink): { tracked: TrackedInterfaceOut; bonus: number } | undefined {
  const words = [line.keyword, ...argTexts(line)];
  const weight = trackWeight(words, line, `track_interface ${describe(line)}`, sink);
  if (weight === undefined) return undefined;
  return { tracked: { interface: line.keyword, weight: weight.weight }, bonus: weight.bonus };
}
