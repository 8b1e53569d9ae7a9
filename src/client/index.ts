export { HTTPClient, type HTTPClientOptions } from "./http-client.ts";
export type { ConnectionFailure, ConnectionFailureCode, Fault } from "./connection-failure.ts";
export type { BodySource } from "./body-source.ts";
export { BytesSource } from "./bytes-source.ts";
export { StreamingBodySource, type StreamingBodySourceOptions, DEFAULT_BODY_HIGH_WATER_MARK } from "./streaming-body-source.ts";
export { FileBodySource, type FileBodySourceResult } from "./file-body-source.ts";
export type { InformationalResponse } from "./exchange.ts";
export { TLSOptions, type TLSOptionsInit } from "./tls-options.ts";
export type { Network, PendingLookup, LookupState, ResolvedAddress, TlsConnectOptions } from "./network.ts";
export { NodeNetwork, type NodeNetworkOptions } from "./node-network.ts";
export { NodeLookup } from "./node-lookup.ts";
export { ThreadedNetwork, sharedThreadedNetwork, type ThreadedNetworkOptions } from "./threaded/threaded-network.ts";
export { ThreadedPeer } from "./threaded/threaded-peer.ts";
export { ThreadedLookup } from "./threaded/threaded-lookup.ts";
export { DEFAULT_BLOCKING_WAIT_SECONDS } from "./poll-wait.ts";
export { ScriptedNetwork } from "./scripted-network.ts";
export { ScriptedLookup, toResolvedAddresses } from "./scripted-lookup.ts";
export { PeerState, type PeerError, type PeerErrorKind, type StreamPeer } from "./peer/stream-peer.ts";
export {
  type SocketPeer,
  type SocketPeerOptions,
  DEFAULT_READ_BUFFER_BYTES,
  DEFAULT_MAX_READ_BUFFER_BYTES,
  MIN_READ_BUFFER_BYTES,
  MAX_READ_BUFFER_BYTES,
  DEFAULT_WRITE_BUFFER_BYTES,
  MIN_WRITE_BUFFER_BYTES,
  MAX_WRITE_BUFFER_BYTES,
} from "./peer/socket-peer.ts";
export { TcpPeer } from "./peer/tcp-peer.ts";
export { TlsPeer } from "./peer/tls-peer.ts";
export { FailedPeer } from "./peer/failed-peer.ts";
export { ScriptedPeer, type ScriptedPeerOptions } from "./peer/scripted-peer.ts";
export { ScriptedTlsPeer } from "./peer/scripted-tls-peer.ts";
export type { ProxyCredentials } from "./proxy-settings.ts";
export {
  environmentProxyFor,
  matchesNoProxy,
  parseEnvironmentProxy,
  type EnvironmentProxy,
  type EnvironmentProxyResult,
  type ProxyEnvironment,
  type InvalidEnvironmentProxy,
} from "./environment-proxy.ts";
export { DEFAULT_CONNECT_ATTEMPT_DELAY } from "./connect-attempt-delay.ts";
export { parseHttpUrl, resolveReference, formatUrl, formatHostHeader, originOf, sameOrigin, type HttpUrl, type UrlResult } from "./url.ts";
export { headersToDictionary, getHeaderValue, getHeaderValues, hasHeader } from "./wire/headers.ts";
export { queryStringFromDict, uriEncode, type QueryValue, type QueryScalar } from "./wire/query-string.ts";
export { ResponseParser, type ResponseParserOptions, type BeginResponseOptions } from "./wire/response-parser.ts";
export type { ResponseEvent, ResponseErrorCode, ResponseHead, HeaderField, BodyFraming } from "./wire/response-events.ts";
export { writeRequestHead, validateRequestTarget, type RequestHeadOptions, type RequestHeadResult } from "./wire/request-writer.ts";
export type { WireFailure, WireFault, RequestFailure, RequestErrorCode, ResponseFailure } from "./wire/wire-failure.ts";
export * from "./cassette/index.ts";
