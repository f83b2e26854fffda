/**
 * Whether the third-party programs the VRRP interop labs run are installed (keepalived, FRR's
 * zebra and vrrpd, vtysh, tcpdump, tshark): the name of the first one missing, as a skip reason.
 */
import { execFileSync } from 'node:child_process';
import { tsharkAvailable } from './vrrp-capture.ts';

const INTEROP_TOOLS = [
  ['keepalived', ['keepalived', '--version']],
  ['FRR zebra', ['/usr/lib/frr/zebra', '--version']],
  ['FRR vrrpd', ['/usr/lib/frr/vrrpd', '--version']],
  ['vtysh', ['vtysh', '--help']],
  ['tcpdump', ['tcpdump', '--version']],
] as const;

/** "keepalived is not installed", or undefined when every tool runs. */
export function missingInteropTool(): string | undefined {
  for (const [tool, argv] of INTEROP_TOOLS) {
    try {
      execFileSync(argv[0], argv.slice(1), { stdio: 'ignore', timeout: 10_000 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return `${tool} is not installed`;
    }
  }
  return tsharkAvailable() ? undefined : 'tshark is not installed';
}
