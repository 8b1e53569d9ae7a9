// A typedoc plugin that files every export of the package under a category of the API reference,
// from the table below (one place, instead of a tag in each source file). An export the table does
// not name is reported as a warning, which `npm run docs` treats as an error: a new export gets a
// category when it is added.
import { Comment, CommentTag, Converter, ReflectionKind } from "typedoc";

/** Category → the exports filed under it, in the order the front page introduces them. */
export const CATEGORIES = {
  "Start here": ["HTTPRequest", "SceneTree", "TreeRunner", "HTTPClient", "ScriptedNetwork", "ScriptedPeer"],
  "Requests": [
    "HTTPRequestOptions", "RequestOptions", "HeaderRecord", "RequestHeaders", "RequestCompletedArgs", "RedirectMode",
    "ProxyLoginHandler", "ProxyLoginInfo", "MAX_PROXY_LOGIN_ATTEMPTS",
    "RequestTimings", "TimingSnapshot", "TimingEvent",
    "createIntegrityCheck", "parseIntegrity", "IntegrityAlgorithm", "IntegrityCheck", "IntegrityCheckResult", "IntegrityMetadata", "IntegrityVerdict",
    "createMultipartBody", "MultipartPart", "MultipartOptions", "MultipartResult",
    "partialPathOf", "PARTIAL_SUFFIX", "formatRangeHeader", "parseContentRange", "planResume", "ContentRange", "RangeHeaderResult",
    "ResumeResponse", "ResumePlan",
  ],
  "Request pool": [
    "HTTPRequestPool", "HTTPRequestPoolOptions", "PoolRequestOptions", "PoolRequest", "PoolRequestState", "priorityRank", "RequestPriority",
    "PoolProxy", "PRIORITY_AUTO", "PRIORITY_HIGH", "PRIORITY_LOW", "PRIORITY_MAX", "PRIORITY_MIN",
    "DEFAULT_MAX_CONNECTIONS", "DEFAULT_MAX_CONNECTIONS_PER_ORIGIN", "DEFAULT_MAX_NEW_CONNECTIONS_PER_TICK", "DEFAULT_MAX_QUEUED", "DEFAULT_MAX_STARTS_PER_TICK",
  ],
  "fetch()": [
    "fetch", "createFetch", "CreateFetchOptions", "FetchFunction", "FetchFailure", "FetchRequestInit", "FetchHeadersInit", "FetchBodyInit",
    "PollHttpInit", "FetchProxy", "TreeLauncher", "RequestLauncher",
  ],
  "Scene tree": ["Node", "Signal", "SignalListener", "ConnectOptions", "ListenerErrorHandler", "NodeCallback", "TreeRunnerOptions", "RunMode", "MAX_EXTRA_PASSES", "TreeScheduler"],
  "Client and connections": [
    "HTTPClientOptions", "ConnectionFailure", "ConnectionFailureCode", "Fault", "TLSOptions", "TLSOptionsInit", "TlsConnectOptions", "ProxyCredentials",
    "Network", "NodeNetwork", "NodeNetworkOptions", "NodeLookup", "PendingLookup", "LookupState", "ResolvedAddress", "toResolvedAddresses",
    "StreamPeer", "PeerState", "PeerError", "PeerErrorKind", "SocketPeer", "SocketPeerOptions", "TcpPeer", "TlsPeer", "FailedPeer",
    "DEFAULT_READ_BUFFER_BYTES", "MIN_READ_BUFFER_BYTES", "MAX_READ_BUFFER_BYTES",
    "DEFAULT_WRITE_BUFFER_BYTES", "MIN_WRITE_BUFFER_BYTES", "MAX_WRITE_BUFFER_BYTES", "DEFAULT_MAX_READ_BUFFER_BYTES",
    "ThreadedNetwork", "sharedThreadedNetwork", "ThreadedNetworkOptions", "ThreadedPeer", "ThreadedLookup", "DEFAULT_BLOCKING_WAIT_SECONDS",
  ],
  "Request bodies": [
    "BodySource", "BytesSource", "FileBodySource", "FileBodySourceResult", "StreamingBodySource", "StreamingBodySourceOptions",
    "DEFAULT_BODY_HIGH_WATER_MARK",
  ],
  "Testing without sockets": ["ScriptedLookup", "ScriptedTlsPeer", "ScriptedPeerOptions"],
  "Cassettes (record and replay)": [
    "useCassette", "UseCassetteOptions", "CassetteSession", "RecordingNetwork", "RecordingNetworkOptions", "ReplayNetwork", "ReplayMode",
    "ReplayNetworkOptions", "ReplayFailure", "DEFAULT_REDACTED_HEADERS", "FirstIds", "attachTicks", "TickSource", "StepSignal", "StepListener",
    "CASSETTE_FORMAT", "CASSETTE_VERSION", "formatCassette", "parseCassette", "readCassette", "writeCassette", "Cassette", "CassetteEvent",
    "EventBase", "EventTime", "RecordedPeerError", "ResolveEvent", "LookupEvent", "ConnectEvent", "TlsEvent", "StateEvent", "ArriveEvent",
    "EndEvent", "PendingEvent", "DataEvent", "CloseEvent",
  ],
  "Status codes and names": [
    "Err", "Result", "Status", "Method", "ResponseCode", "errName", "resultName", "statusName", "methodName", "methodVerb", "responseCodeName", "VERSION",
  ],
  "Headers, URLs and the wire": [
    "getHeaderValue", "getHeaderValues", "hasHeader", "headersToDictionary",
    "parseHttpUrl", "HttpUrl", "UrlResult", "formatUrl", "formatHostHeader", "originOf", "sameOrigin", "resolveReference",
    "queryStringFromDict", "QueryScalar", "QueryValue", "uriEncode",
    "validateRequestTarget", "writeRequestHead", "RequestHeadOptions", "RequestHeadResult",
    "ResponseParser", "ResponseParserOptions", "BeginResponseOptions", "ResponseEvent", "ResponseHead", "HeaderField",
    "InformationalResponse", "BodyFraming", "ResponseErrorCode", "WireFailure", "WireFault", "RequestFailure", "RequestErrorCode", "ResponseFailure",
  ],
};

const categoryOf = new Map(Object.entries(CATEGORIES).flatMap(([category, names]) => names.map((name) => [name, category])));

/** @param {import("typedoc").Application} app */
export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    const exported = context.project.getChildrenByKind(ReflectionKind.SomeExport);
    for (const reflection of exported) {
      const category = categoryOf.get(reflection.name);
      if (category === undefined) {
        app.logger.warn(`${reflection.name} has no category in scripts/typedoc-categories.mjs`);
        continue;
      }
      reflection.comment ??= new Comment();
      reflection.comment.blockTags = reflection.comment.blockTags.filter((tag) => tag.tag !== "@category");
      reflection.comment.blockTags.push(new CommentTag("@category", [{ kind: "text", text: category }]));
    }
  });
}
