export {
  CASSETTE_FORMAT,
  CASSETTE_VERSION,
  formatCassette,
  parseCassette,
  readCassette,
  writeCassette,
  type Cassette,
  type CassetteEvent,
  type EventBase,
  type EventTime,
  type RecordedPeerError,
  type ResolveEvent,
  type LookupEvent,
  type ConnectEvent,
  type TlsEvent,
  type StateEvent,
  type ArriveEvent,
  type EndEvent,
  type PendingEvent,
  type DataEvent,
  type CloseEvent,
} from "./cassette.ts";
export { DEFAULT_REDACTED_HEADERS } from "./head-scanner.ts";
export { RecordingNetwork, type RecordingNetworkOptions, type FirstIds } from "./recording-network.ts";
export { ReplayNetwork, type ReplayMode, type ReplayNetworkOptions, type ReplayFailure } from "./replay-network.ts";
export { attachTicks, type TickSource, type StepSignal, type StepListener } from "./tick-source.ts";
