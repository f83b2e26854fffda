// The one nftables table the lab manages in the bridge namespace (`table bridge lab`).
//
// Rules sit in a bridge-family forward chain, so they act on frames between bridge ports: the
// receiver's packet sockets never see a dropped frame (an input-chain drop on the receiver would
// still show the packet to AF_PACKET/raw sockets; see docs/development.md "Test networks").

/** What the lab's table should do. Ports are bridge-side veth names. */
export interface FilterSpec {
  /** Per-frame drop probability in percent (0–100), applied to every forwarded frame. */
  lossPercent: number;
  /** Groups of bridge ports; frames between ports of different groups are dropped. */
  partition: readonly (readonly string[])[];
  /**
   * IP protocols dropped in one family only (IPv6 protocol 112, as an MLD-snooping switch without
   * a querier drops CARP's IPv6 multicast); default none.
   */
  blockedProtocols?: readonly { readonly family: 4 | 6; readonly protocol: number }[];
}

/** The table name, family included. */
export const LAB_TABLE = 'bridge lab';

/**
 * Returns an `nft -f` script that atomically replaces the lab table (or just removes it when the
 * spec does nothing). nft 1.0.6 has no `destroy`, so the script creates an empty table first so
 * that `delete` never fails.
 */
export function labRuleset(spec: FilterSpec): string {
  const lines = [`table ${LAB_TABLE} {}`, `delete table ${LAB_TABLE}`];
  const rules: string[] = [];
  const groups = spec.partition.filter((group) => group.length > 0);
  for (const [i, group] of groups.entries()) {
    const others = groups.filter((_, j) => j !== i).flat();
    if (others.length === 0) continue;
    rules.push(`iifname { ${group.map(quote).join(', ')} } oifname { ${others.map(quote).join(', ')} } drop`);
  }
  for (const { family, protocol } of spec.blockedProtocols ?? []) {
    rules.push(family === 4 ? `ether type ip ip protocol ${protocol} drop` : `ether type ip6 ip6 nexthdr ${protocol} drop`);
  }
  if (spec.lossPercent > 0) {
    rules.push(`numgen random mod 100 < ${Math.round(spec.lossPercent)} drop`);
  }
  if (rules.length > 0) {
    lines.push(`table ${LAB_TABLE} {`);
    lines.push('  chain forward {');
    lines.push('    type filter hook forward priority 0; policy accept;');
    for (const rule of rules) lines.push(`    ${rule}`);
    lines.push('  }');
    lines.push('}');
  }
  return `${lines.join('\n')}\n`;
}

function quote(name: string): string {
  return `"${name}"`;
}
