/**
 * The converter's output as carpd.yaml text (docs/migration.md "The converter"): a header that
 * names the source and lists every note as a YAML comment (FILE:LINE), then the configuration,
 * each group preceded by the vrrp_instance it comes from. Passphrases never appear: groups
 * refer to passphrase files.
 */
import { Document, isMap, isSeq } from 'yaml';
import type { Conversion } from './convert.ts';
import { formatNote } from './notes.ts';

/** carpd.yaml for a conversion. */
export function renderConversion(source: string, conversion: Conversion): string {
  const leftOut = conversion.notes.filter((n) => n.kind === 'left-out');
  const differs = conversion.notes.filter((n) => n.kind === 'differs');
  const header = [`carpd.yaml converted by carpd --from-keepalived from ${oneLine(source)}`, 'Check it with: carpd --check --config FILE (migration.md in the carpd documentation)'];
  if (leftOut.length > 0) header.push('', `Not converted (${leftOut.length}):`, ...leftOut.map((n) => `  ${oneLine(formatNote(n))}`));
  if (differs.length > 0) header.push('', `Converted, but carpd differs (${differs.length}):`, ...differs.map((n) => `  ${oneLine(formatNote(n))}`));
  if (conversion.secrets.length > 0) header.push('', 'Passphrase files (VRRPv2 auth_type PASS, sent in clear on the wire):', ...conversion.secrets.map((s) => `  ${oneLine(s.path)} (group ${s.group})`));
  const doc = new Document(conversion.config);
  doc.commentBefore = header.map((line) => (line === '' ? '' : ` ${line}`)).join('\n');
  const groups = isMap(doc.contents) ? doc.contents.get('groups', true) : undefined;
  if (isSeq(groups)) {
    groups.items.forEach((item, index) => {
      const origin = conversion.origins[index];
      if (origin !== undefined && isMap(item)) item.commentBefore = ` from vrrp_instance ${oneLine(origin.instance)} (${oneLine(origin.file)}:${origin.line})`;
    });
  }
  return doc.toString({ lineWidth: 0 });
}

/** Text fit for a comment line: no line breaks or control characters. */
function oneLine(text: string): string {
  return text.replace(/[\x00-\x1f\x7f]/g, '?');
}
