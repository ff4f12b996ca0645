// @bricolage/peer: volunteers that see each other. The only package that imports yjs and y-webrtc: one room
// per project (presence, held units, shared evidence), a peer-to-peer blob cache over WebRTC data channels, and
// volunteers witnessing the receipt log. It trusts no peer: everything heard is parsed and checked first.
export {
  joinSwarm,
  type OwnPresence,
  type Swarm,
  type SwarmOptions,
  type SwarmPeer,
  type SwarmView,
} from './swarm';
export type { PeerView } from './presence';
export type { ExchangeStats, PeerReport } from './blob-exchange';
export type { HeldCounts } from './held-units';
export type { WitnessAlarm, WitnessStats } from './witness';
