/**
 * Every group of one interface, of every protocol in the registry (index.ts): the engine's
 * protocol-neutral demultiplexer (engine/interface-demux.ts, whose header has the routing table)
 * given each protocol's wire part, CARP first. It lives here, above the engine, because it is
 * the one place an interface learns which protocols exist: the engine stays below protocols/ and
 * knows only engine/protocol-node.ts's contract.
 */
import type { Clock } from '../ports/clock.ts';
import type { Logger } from '../ports/logger.ts';
import type { PacketTransport } from '../ports/packet-transport.ts';
import { InterfaceDemux } from '../engine/interface-demux.ts';
import type { PacketWarningLog } from '../engine/packet-warning-log.ts';
import { DROP_REASONS, PROTOCOL_MODULES } from './index.ts';

/** The groups of one interface. */
export class InterfaceNode extends InterfaceDemux {
  constructor(
    transport: PacketTransport,
    logger: Logger,
    clock: Pick<Clock, 'nowMicros' | 'setTimer' | 'clearTimer'>,
    /** The daemon-wide budget for packet-caused warnings (packet-warning-log.ts). */
    packetLog?: PacketWarningLog,
  ) {
    super(
      transport,
      logger,
      clock,
      packetLog,
      PROTOCOL_MODULES.map((module) => module.wire),
      DROP_REASONS,
    );
  }
}
