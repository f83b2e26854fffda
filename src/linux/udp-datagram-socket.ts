/**
 * The witness's UDP socket (the DatagramSocket port of cli/witness-server.ts) on node:dgram: one
 * bound socket, no raw sockets, no privileges beyond binding the port (docs/partitions.md
 * "Running the witness"). Send errors (an unreachable requester) are counted, not thrown: a
 * witness keeps serving the other groups.
 */
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';

export interface DatagramPeerAddress {
  readonly address: string;
  readonly port: number;
}

export class UdpDatagramSocket {
  /** Sends that failed (the kernel refused the datagram). */
  sendErrors = 0;

  private constructor(private readonly socket: Socket) {}

  /** Binds `address`:`port`; rejects with the errno (EADDRINUSE, EADDRNOTAVAIL, EACCES) when it cannot. */
  static async bind(address: string, port: number): Promise<UdpDatagramSocket> {
    const socket = createSocket({ type: isIPv6(address) ? 'udp6' : 'udp4', ipv6Only: isIPv6(address) });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address, port, exclusive: true }, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    // After the bind, an error on the socket (ICMP unreachable reported on receive) is not fatal.
    socket.on('error', () => undefined);
    return new UdpDatagramSocket(socket);
  }

  onDatagram(handler: (bytes: Uint8Array, from: DatagramPeerAddress) => void): void {
    this.socket.on('message', (bytes, info) => handler(bytes, { address: info.address, port: info.port }));
  }

  send(bytes: Uint8Array, to: DatagramPeerAddress): void {
    this.socket.send(bytes, to.port, to.address, (error) => {
      if (error) this.sendErrors += 1;
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}
