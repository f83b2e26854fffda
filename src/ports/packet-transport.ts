/** Sending and receiving protocol-112 datagrams (CARP and VRRPv3) on one interface (raw sockets on Linux, a segment in the sim). */
import type { IpAddress, IpFamily } from '../wire/ip-address.ts';
import type { Datagram } from '../wire/ip-packet.ts';

/** Receives every protocol-112 datagram, or a note that one could not be read. */
export type DatagramHandler = (datagram: Datagram) => void;

/** The source adverts of one family go out from moved (the interface was renumbered). */
export interface SourceChange {
  readonly family: IpFamily;
  /** The previous source; undefined when the family had none. */
  readonly from: IpAddress | undefined;
  readonly to: IpAddress;
}

/** The packet port. */
export interface PacketTransport {
  /** Sends a CARP or VRRPv3 payload with TTL/hop limit 255 to the destination (224.0.0.18 / ff02::12 by default). */
  send(family: IpFamily, payload: Uint8Array, destination?: IpAddress): void;
  /** Our source address in a family, if the interface has one. */
  sourceAddress(family: IpFamily): IpAddress | undefined;
  /**
   * The interface's own addresses now (the daemon's address events): own-advert detection follows
   * them, and so does the source of each family not pinned by source_address / --srcip
   * (wire/advert-source.ts). Returns the sources that moved.
   */
  setOwnAddresses(addresses: readonly IpAddress[]): readonly SourceChange[];
  /** True for any address of this host (own-advert detection). */
  isOwnAddress(address: IpAddress): boolean;
  /** Registers the receive handler (one per transport). */
  onDatagram(handler: DatagramHandler): void;
  /** Registers a handler for packets that arrived but did not parse as IP. */
  onMalformed(handler: (code: string) => void): void;
  close(): void;
}
