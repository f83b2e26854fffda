/**
 * The VRRP interop harness (VRRPv3, and VRRPv2 at keepalived's defaults and FRR's `version 2`) in one import: real third-party peers in lab hosts (keepalived,
 * FRR's zebra + vrrpd), the outside view of who holds a virtual address and what a client saw,
 * and decoding of the adverts on the wire. Each part lives in its own file.
 */
export { KeepalivedPeer, keepalivedConfig, keepalivedVersion, readKeepalivedRecords, writeKeepalivedFiles } from './keepalived-peer.ts';
export type { KeepalivedFiles, KeepalivedInstance, KeepalivedRecord } from './keepalived-peer.ts';
export { FrrPeer } from './frr-peer.ts';
export type { FrrFamilyStatus, FrrRouter, FrrStatus } from './frr-peer.ts';
export { decodeVrrpPcap, expectedChecksumVariant, startVrrpCapture, tsharkAvailable, vrrpChecksumVariants } from './vrrp-capture.ts';
export type { VrrpAdvertRow, VrrpChecksumRow } from './vrrp-capture.ts';
export {
  ClientPinger, VipWatch, clientNeighbourMac, familyOf, holdsVip, labPrefixLength, outageAfter, peerWorkDirectory, vipHolders, vipInterface, vrrpV2AuthType, vrrpVirtualMac,
} from './vrrp-speaker.ts';
export type { ClientOutage, VrrpRole, VrrpSpeaker, VrrpV2Auth } from './vrrp-speaker.ts';
