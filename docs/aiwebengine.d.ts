// Type definitions for aiwebengine scripts (docs/javascript-apis.md).
//
// These are globals in classic scripts and in module scripts alike. Reference
// this file from a jsconfig.json/tsconfig.json ("files" or "include"), or
// put `/// <reference path="aiwebengine.d.ts" />` at the top of a script,
// to get completion and checking in editors. Standard ECMAScript built-ins
// (ES2023) come from the "lib" setting: use "lib": ["ES2023"] without "DOM".

// ---------------------------------------------------------------- routes

type HttpMethod = "GET" | "POST" | "PUT" | "DELETE" | "PATCH" | "OPTIONS" | "HEAD";

/** One uploaded file of a multipart/form-data request. */
interface UploadedFile {
  /** The form field name. */
  name: string;
  filename: string;
  /** Defaults to application/octet-stream. */
  contentType: string;
  /** Bytes; known without reading the file. */
  size: number;
  /**
   * The content. Files over 256 KiB are spooled to disk and read when this
   * is first used (a RangeError when larger than js.memory_limit_bytes; an
   * Error after the request has ended).
   */
  readonly bytes: Uint8Array;
}

/** The authenticated user, as `req.auth` and the global `auth` see it. */
interface AuthInfo {
  readonly isAuthenticated: boolean;
  readonly userId: string | null;
  readonly userEmail: string | null;
  readonly userName: string | null;
  readonly provider: string | null;
  readonly role: "unauthenticated" | "authenticated" | "editor" | "admin";
  readonly isEditor: boolean;
  readonly isAdmin: boolean;
  readonly groups: readonly string[];
  canManageScript(name: string): boolean;
  hasPermission(name: string): boolean;
  /** The engine's login page, returning to `returnTo` (a same-site path) after login. */
  loginUrl(returnTo?: string): string;
  /** The engine's logout URL, returning to `returnTo` (a same-site path) after logout. */
  logoutUrl(returnTo?: string): string;
  currentUser(): {
    id: string; email: string; name: string; provider: string;
    role: string; groups: string[]; permissions: string[];
  } | null;
  /** Throws a 401 response (or a redirect to the login page for pages). */
  requireAuth(): NonNullable<ReturnType<AuthInfo["currentUser"]>>;
  requireEditor(): NonNullable<ReturnType<AuthInfo["currentUser"]>>;
  requireAdmin(): NonNullable<ReturnType<AuthInfo["currentUser"]>>;
  requirePermission(name: string): NonNullable<ReturnType<AuthInfo["currentUser"]>>;
}

/** The request a handler is called with (`Request` is fetch's class). */
interface ScriptRequest {
  /** Upper case; "HEAD" for a HEAD answered by the GET handler. */
  method: HttpMethod;
  /** As sent (not percent-decoded), without the query. */
  path: string;
  /** The full URL: `scheme://host/path?query` (origin: oauth.public_url, else scheme and Host). */
  url: string;
  version: "HTTP/1.0" | "HTTP/1.1" | "HTTP/2.0";
  /** Decoded query parameters; a repeated key becomes an array. */
  query: Record<string, string | string[]>;
  /** Decoded path parameters; "*" for the wildcard. */
  params: Record<string, string>;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  cookies: Record<string, string>;
  ip: string;
  requestId: string;
  /** The body as UTF-8 text; "" when empty. */
  body: string;
  /** The parsed body for JSON content types, else null. */
  json: any;
  /** Text fields of urlencoded and multipart forms. */
  form: Record<string, string | string[]>;
  files: UploadedFile[];
  /** Who is calling (stays valid across awaits, unlike the global `auth`). */
  auth: AuthInfo;
  /** True once text()/arrayBuffer()/bytes()/formData() has read the body. */
  readonly bodyUsed: boolean;
  /** WHATWG body methods; the body can be read once. */
  text(): Promise<string>;
  arrayBuffer(): Promise<ArrayBuffer>;
  bytes(): Promise<Uint8Array>;
  /** Multipart and urlencoded bodies only; files are File-like. */
  formData(): Promise<FormData>;
}

/** The object form of a response; every field is optional. */
interface ResponseObject {
  /** 100..599; default 200. */
  status?: number;
  /** A string, bytes, an async iterable (streamed), or any other value sent as JSON. */
  body?: string | Uint8Array | ArrayBuffer | StreamBody | object | number | boolean | null;
  contentType?: string;
  headers?: Record<string, string | number | boolean>;
}

/** A streamed body: chunks are pulled one at a time as the client reads. */
type StreamBody = AsyncIterable<string | Uint8Array>;

type HandlerResult = string | Uint8Array | ArrayBuffer | ResponseObject | Response | StreamBody;
type Handler = (req: ScriptRequest) => HandlerResult | Promise<HandlerResult>;

interface RegisterOptions {
  /**
   * This route's request-body limit in bytes (instead of
   * server.body_limit_bytes), at most 1073741824 (1 GiB). Multipart files
   * over 256 KiB are spooled to disk.
   */
  maxBodyBytes?: number;
}

/** Registers a route. `handler` may be the name of a global function. */
declare function register(path: string, handler: Handler | string, method?: HttpMethod | Lowercase<HttpMethod>, options?: RegisterOptions): void;
/** Mounts an app: `app.fetch` answers every method and path at and under `path` (a literal path). */
declare function register(path: string, app: App, options?: RegisterOptions): void;

/** What `fetch(request, ctx)` of a mounted app gets besides the Request. */
interface AppContext {
  /** The mount point, e.g. "/app". */
  mount: string;
  /** The path below the mount point ("/" for the mount point itself). */
  path: string;
  /** `{"*": rest}`: the rest of the path, percent-decoded. */
  params: Record<string, string>;
  query: Record<string, string>;
  auth: AuthInfo;
  requestId: string;
  ip: string;
  /** Lets `promise` finish after the response; a rejection is logged. */
  waitUntil(promise: Promise<unknown>): void;
}

/**
 * A module script's `export default { fetch }`, mounted at
 * `export const mount = "/app"` (or given to `register(path, app)`).
 */
interface App {
  fetch(request: Request, ctx: AppContext): HandlerResult | Promise<HandlerResult>;
}

/** Answers a failed handler: `fn(err, req)` returns the response. */
declare function setErrorHandler(fn: (err: Error, req: ScriptRequest) => HandlerResult): void;

// ---------------------------------------------------------------- streams (SSE)

interface StreamMessageOptions {
  event?: string;
  id?: string | number;
  retry?: number;
  /** Only connections whose onConnect metadata has all these values. */
  filter?: Record<string, unknown>;
}

declare function registerWebStream(path: string, options?: {
  /** Returns the connection's metadata; throw a response to refuse it. */
  onConnect?: (req: ScriptRequest) => unknown | Promise<unknown>;
}): void;
declare function sendStreamMessage(data: unknown, options?: StreamMessageOptions): void;
declare function sendStreamMessageToPath(path: string, data: unknown, options?: StreamMessageOptions): void;

// ---------------------------------------------------------------- GraphQL

interface GraphQLContext {
  headers: Record<string, string>;
  requestId: string;
  [key: string]: unknown;
}
type GraphQLResolver = (args: Record<string, any>, ctx: GraphQLContext) => unknown | Promise<unknown>;

declare function registerGraphQLQuery(name: string, sdl: string, resolver: GraphQLResolver | string): void;
declare function registerGraphQLMutation(name: string, sdl: string, resolver: GraphQLResolver | string): void;
/** The resolver may return a filter `(data) => boolean` for this subscriber. */
declare function registerGraphQLSubscription(
  name: string,
  sdl: string,
  resolver: ((args: Record<string, any>, ctx: GraphQLContext) => ((data: any) => boolean) | unknown) | string,
): void;
declare function sendSubscriptionMessage(name: string, data: unknown): void;

// ---------------------------------------------------------------- logs, timers

declare function writeLog(message: unknown): void;
declare const console: {
  log(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
  debug(...args: unknown[]): void;
};
declare function setTimeout<A extends unknown[]>(fn: (...args: A) => void, ms?: number, ...args: A): number;
declare function clearTimeout(id: number | undefined): void;
declare function sleep(ms: number): Promise<void>;
declare function queueMicrotask(fn: () => void): void;

/** The current request's user while a handler runs synchronously. */
declare const auth: AuthInfo;

// ---------------------------------------------------------------- kv

type KvKeyPart = string | number | bigint | boolean | Uint8Array;
type KvKey = readonly KvKeyPart[];

interface KvEntry<T = unknown> {
  key: KvKey;
  value: T;
  /** 20 hex digits, growing with every commit. */
  versionstamp: string;
}
interface KvEntryMaybe<T = unknown> {
  key: KvKey;
  value: T | null;
  versionstamp: string | null;
}
interface KvCommitResult {
  ok: true;
  versionstamp: string;
}
interface KvCommitError {
  ok: false;
  versionstamp: null;
}
interface KvSetOptions {
  /** Milliseconds after which the entry is gone. */
  expireIn?: number;
}
type KvListSelector =
  | { prefix: KvKey }
  | { prefix: KvKey; start: KvKey }
  | { prefix: KvKey; end: KvKey }
  | { start: KvKey; end: KvKey };
interface KvListOptions {
  limit?: number;
  reverse?: boolean;
  /** From a previous iterator's `cursor`. */
  cursor?: string;
  /** Entries fetched per round trip (default 100, at most 1000). */
  batchSize?: number;
}
interface KvListIterator<T = unknown> extends AsyncIterableIterator<KvEntry<T>> {
  /** Continues after the last entry returned so far. */
  readonly cursor: string;
}
interface AtomicCheck {
  key: KvKey;
  /** null: the key must not exist. */
  versionstamp: string | null;
}
interface AtomicOperation {
  check(...checks: AtomicCheck[]): this;
  set(key: KvKey, value: unknown, options?: KvSetOptions): this;
  delete(key: KvKey): this;
  /** Adds n to the stored number (or bigint); a missing key counts as 0. */
  sum(key: KvKey, n: number | bigint): this;
  commit(): Promise<KvCommitResult | KvCommitError>;
}
interface Kv {
  get<T = unknown>(key: KvKey): Promise<KvEntryMaybe<T>>;
  getMany<T extends readonly unknown[]>(keys: readonly KvKey[]): Promise<{ [K in keyof T]: KvEntryMaybe<T[K]> }>;
  set(key: KvKey, value: unknown, options?: KvSetOptions): Promise<KvCommitResult>;
  delete(key: KvKey): Promise<void>;
  list<T = unknown>(selector: KvListSelector, options?: KvListOptions): KvListIterator<T>;
  atomic(): AtomicOperation;
  /** A shared namespace granted in config ([kv] shared = ["name"]). */
  open(name: string): Kv;
}
/** The script's own ordered, transactional key-value store. */
declare const kv: Kv;

// ---------------------------------------------------------------- web utilities

declare function atob(data: string): string;
declare function btoa(data: string): string;
declare function structuredClone<T>(value: T): T;

declare class TextEncoder {
  readonly encoding: "utf-8";
  encode(input?: string): Uint8Array;
  encodeInto(input: string, dest: Uint8Array): { read: number; written: number };
}
declare class TextDecoder {
  constructor(label?: "utf-8" | "utf8", options?: { fatal?: boolean; ignoreBOM?: boolean });
  readonly encoding: "utf-8";
  readonly fatal: boolean;
  readonly ignoreBOM: boolean;
  decode(input?: Uint8Array | ArrayBuffer | ArrayBufferView): string;
}

declare class URLSearchParams implements Iterable<[string, string]> {
  constructor(init?: string | [string, string][] | Record<string, string | number | boolean> | URLSearchParams);
  readonly size: number;
  append(name: string, value: string): void;
  delete(name: string, value?: string): void;
  get(name: string): string | null;
  getAll(name: string): string[];
  has(name: string, value?: string): boolean;
  set(name: string, value: string): void;
  sort(): void;
  forEach(fn: (value: string, key: string, parent: URLSearchParams) => void, thisArg?: unknown): void;
  keys(): IterableIterator<string>;
  values(): IterableIterator<string>;
  entries(): IterableIterator<[string, string]>;
  [Symbol.iterator](): IterableIterator<[string, string]>;
  toString(): string;
}
declare class URL {
  constructor(url: string | URL, base?: string | URL);
  static canParse(url: string, base?: string): boolean;
  static parse(url: string, base?: string): URL | null;
  href: string;
  readonly origin: string;
  protocol: string;
  username: string;
  password: string;
  host: string;
  hostname: string;
  port: string;
  pathname: string;
  search: string;
  hash: string;
  readonly searchParams: URLSearchParams;
  toString(): string;
  toJSON(): string;
}

type HashAlgorithm = "sha256" | "sha384" | "sha512" | "sha1" | "SHA-256" | "SHA-384" | "SHA-512" | "SHA-1";
type BinaryLike = string | Uint8Array | ArrayBuffer | ArrayBufferView;
declare const crypto: {
  randomUUID(): string;
  getRandomValues<T extends Int8Array | Uint8Array | Uint8ClampedArray | Int16Array | Uint16Array | Int32Array | Uint32Array | BigInt64Array | BigUint64Array>(array: T): T;
  hash(alg: HashAlgorithm, data: BinaryLike, encoding?: "hex" | "base64" | "base64url"): string;
  hash(alg: HashAlgorithm, data: BinaryLike, encoding: "bytes"): Uint8Array;
  hmac(alg: HashAlgorithm, key: BinaryLike, data: BinaryLike, encoding?: "hex" | "base64" | "base64url"): string;
  hmac(alg: HashAlgorithm, key: BinaryLike, data: BinaryLike, encoding: "bytes"): Uint8Array;
  timingSafeEqual(a: BinaryLike, b: BinaryLike): boolean;
};

declare function escapeHtml(s: unknown): string;
declare function escapeJs(s: unknown): string;
declare function escapeUrl(s: unknown): string;
/** The response with a Content-Security-Policy header (a strict default when no policy is given). */
declare function withCsp(response: string | Uint8Array | ArrayBuffer | ResponseObject, policy?: string): ResponseObject;
/**
 * format: "rfc3339" (default), "rfc7231", or a pattern of
 * YYYY YY MMMM MMM MM M DD D dddd ddd HH H hh h mm ss SSS A Z ZZ and [literal].
 * timeZone: "UTC" (default) or a fixed offset such as "+02:00".
 */
declare function formatDate(date: Date | number | string, options?: { format?: string; timeZone?: string }): string;

// ---------------------------------------------------------------- fetch

type HeadersInit = Headers | Record<string, string> | [string, string][];
/** A file entry of a FormData; an uploaded req.files[i] may be appended too. */
/** A file value of a FormData: a File (uploads: a File whose `bytes` is also a Uint8Array property), or the older plain shape for bytes appended without a Blob. */
type FormDataFile = File | { name: string; type: string; size: number; bytes: Uint8Array };
type BodyInit = string | Uint8Array | ArrayBuffer | ArrayBufferView | Blob | URLSearchParams | FormData;

interface RequestInit {
  method?: string;
  headers?: HeadersInit;
  body?: BodyInit | null;
  signal?: AbortSignal | null;
  /** Milliseconds for the whole fetch, body included (engine extension); only shortens js.fetch.timeout_ms and the request's deadline. */
  timeout?: number;
  redirect?: "follow" | "error" | "manual";
}
interface ResponseInit {
  status?: number;
  statusText?: string;
  headers?: HeadersInit;
}

declare class Headers implements Iterable<[string, string]> {
  constructor(init?: HeadersInit);
  append(name: string, value: string): void;
  delete(name: string): void;
  get(name: string): string | null;
  getSetCookie(): string[];
  has(name: string): boolean;
  set(name: string, value: string): void;
  forEach(fn: (value: string, key: string, parent: Headers) => void, thisArg?: unknown): void;
  keys(): IterableIterator<string>;
  values(): IterableIterator<string>;
  entries(): IterableIterator<[string, string]>;
  [Symbol.iterator](): IterableIterator<[string, string]>;
}

declare class FormData implements Iterable<[string, string | FormDataFile]> {
  constructor();
  append(name: string, value: string | Uint8Array | ArrayBuffer | Blob | { bytes: Uint8Array; filename?: string; contentType?: string }, filename?: string): void;
  set(name: string, value: string | Uint8Array | ArrayBuffer | Blob | { bytes: Uint8Array; filename?: string; contentType?: string }, filename?: string): void;
  get(name: string): string | FormDataFile | null;
  getAll(name: string): (string | FormDataFile)[];
  has(name: string): boolean;
  delete(name: string): void;
  forEach(fn: (value: string | FormDataFile, key: string, parent: FormData) => void, thisArg?: unknown): void;
  keys(): IterableIterator<string>;
  values(): IterableIterator<string | FormDataFile>;
  entries(): IterableIterator<[string, string | FormDataFile]>;
  [Symbol.iterator](): IterableIterator<[string, string | FormDataFile]>;
}

/** A body read chunk by chunk (not a global; see Response.body). */
interface BodyStream extends AsyncIterable<Uint8Array> {
  readonly locked: boolean;
  getReader(): {
    read(): Promise<{ done: false; value: Uint8Array } | { done: true; value: undefined }>;
    cancel(reason?: unknown): Promise<void>;
    releaseLock(): void;
  };
  cancel(reason?: unknown): Promise<void>;
  values(): AsyncIterableIterator<Uint8Array>;
}

interface Body {
  readonly body: BodyStream | null;
  readonly bodyUsed: boolean;
  arrayBuffer(): Promise<ArrayBuffer>;
  bytes(): Promise<Uint8Array>;
  text(): Promise<string>;
  json(): Promise<any>;
  /** The body as a Blob whose type is the content-type header. */
  blob(): Promise<Blob>;
}

type BlobPart = string | ArrayBuffer | ArrayBufferView | Blob;

/** Immutable bytes with a MIME type (held in memory). */
declare class Blob {
  constructor(blobParts?: Iterable<BlobPart>, options?: { type?: string });
  readonly size: number;
  readonly type: string;
  slice(start?: number, end?: number, contentType?: string): Blob;
  arrayBuffer(): Promise<ArrayBuffer>;
  bytes(): Promise<Uint8Array>;
  text(): Promise<string>;
  stream(): BodyStream;
}

/** A Blob with a name; uploads read with formData() are Files. */
declare class File extends Blob {
  constructor(fileBits: Iterable<BlobPart>, fileName: string, options?: { type?: string; lastModified?: number });
  readonly name: string;
  readonly lastModified: number;
}

declare class Request implements Body {
  constructor(input: string | URL | Request, init?: RequestInit);
  readonly method: string;
  readonly url: string;
  readonly headers: Headers;
  readonly signal: AbortSignal | null;
  readonly redirect: "follow" | "error" | "manual";
  readonly body: BodyStream | null;
  readonly bodyUsed: boolean;
  arrayBuffer(): Promise<ArrayBuffer>;
  bytes(): Promise<Uint8Array>;
  text(): Promise<string>;
  json(): Promise<any>;
  blob(): Promise<Blob>;
  /** Multipart or urlencoded bodies of an app's incoming request; urlencoded only for a constructed Request. */
  formData(): Promise<FormData>;
  clone(): Request;
}

declare class Response implements Body {
  /** A stream body (an async iterable or another response's body) is streamed when a handler returns the Response. */
  constructor(body?: BodyInit | BodyStream | AsyncIterable<string | Uint8Array> | null, init?: ResponseInit);
  static json(data: unknown, init?: ResponseInit): Response;
  static redirect(url: string | URL, status?: 301 | 302 | 303 | 307 | 308): Response;
  static error(): Response;
  readonly type: "basic" | "default" | "error";
  readonly url: string;
  readonly redirected: boolean;
  readonly status: number;
  readonly ok: boolean;
  readonly statusText: string;
  /** Read-only for a fetched response. */
  readonly headers: Headers;
  readonly body: BodyStream | null;
  readonly bodyUsed: boolean;
  arrayBuffer(): Promise<ArrayBuffer>;
  bytes(): Promise<Uint8Array>;
  text(): Promise<string>;
  json(): Promise<any>;
  blob(): Promise<Blob>;
  /** Not for a fetched (streamed) body. */
  clone(): Response;
}

declare class DOMException extends Error {
  constructor(message?: string, name?: string);
}

declare class AbortSignal {
  private constructor();
  static abort(reason?: unknown): AbortSignal;
  static timeout(ms: number): AbortSignal;
  static any(signals: Iterable<AbortSignal>): AbortSignal;
  readonly aborted: boolean;
  readonly reason: unknown;
  onabort: ((event: { type: "abort"; target: AbortSignal }) => void) | null;
  throwIfAborted(): void;
  addEventListener(type: "abort", listener: (event: { type: "abort"; target: AbortSignal }) => void): void;
  removeEventListener(type: "abort", listener: (event: { type: "abort"; target: AbortSignal }) => void): void;
}
declare class AbortController {
  readonly signal: AbortSignal;
  abort(reason?: unknown): void;
}

/**
 * Outbound HTTP (off until the host is in js.fetch.allow or
 * js.fetch.scripts."<script>"). Rejects with a TypeError naming the rule and
 * config key on a refusal, a DOMException "TimeoutError" on a timeout and
 * the signal's reason (an "AbortError") when aborted.
 */
declare function fetch(input: string | URL | Request, init?: RequestInit): Promise<Response>;

/** A script as `scripts.list()` and `scripts.get()` describe it. */
interface ScriptInfo {
  name: string;
  version: number;
  enabled: boolean;
  size: number;
  owner: string | null;
  createdAt: string;
  updatedAt: string;
  error: string | null;
  routes: { method: string; path: string }[];
  /** Only from `scripts.get()`. */
  source?: string;
}

type ScriptPutResult =
  | { ok: true; name: string; version: number; created: boolean; enabled: boolean }
  | { ok: false; error: string; line: number | null; column: number | null };

interface ScriptsApi {
  list(): Promise<ScriptInfo[]>;
  get(name: string): Promise<ScriptInfo | null>;
  put(name: string, source: string): Promise<ScriptPutResult>;
  delete(name: string): Promise<boolean>;
  logs(name?: string | null, options?: { limit?: number }): Promise<
    { script: string; time: string; level: string; message: string; requestId: string | null }[]
  >;
  /** The same calls with the script owner's rights instead of the caller's. */
  asOwner(): ScriptsApi;
}

/** Script management with the request user's rights (admins all, editors what they own). */
declare const scripts: ScriptsApi;
/** Older engine: names of the scripts the owner may see. */
declare function listScripts(): string[];
declare function getScript(name: string): string | null;
declare function upsertScript(name: string, source: string): true;
declare function deleteScript(name: string): boolean;
declare function listLogs(): string[];

// ---------------------------------------------------------------- assets

/** A stored asset, served at `url` (`/` + `path`). */
interface Asset {
  path: string;
  url: string;
  contentType: string;
  size: number;
  /** The quoted sha256, as in the `ETag` header. */
  etag: string;
  /** Owner's email or group name; null when nobody owns it. */
  owner: string | null;
  created: Date;
  updated: Date;
  /** The content of this version; rejects with code "changed" once replaced. */
  bytes(): Promise<Uint8Array>;
  text(): Promise<string>;
}

interface AssetImageOptions {
  width?: number;
  height?: number;
  /** Default "cover". */
  fit?: "cover" | "contain" | "fill";
  /** Default: the source's format (PNG for GIF). */
  format?: "png" | "jpeg" | "webp";
}

interface AssetVariant {
  path: string;
  /** Where the variant is served, e.g. "/img/a.png?w=200&h=100&fit=cover&format=webp". */
  url: string;
  contentType: string;
  size: number;
  width: number;
  height: number;
  etag: string;
}

/** Errors reject with an Error carrying one of these codes. */
type AssetErrorCode =
  | "invalid_path" | "type_not_allowed" | "content_mismatch" | "payload_too_large"
  | "forbidden" | "route_conflict" | "not_found" | "image_error" | "busy" | "changed";

interface AssetsApi {
  list(options?: { prefix?: string }): Promise<Asset[]>;
  get(path: string): Promise<Asset | null>;
  /** Acts for the script's owner. `data` may be an uploaded file (`req.files[i]`). */
  put(path: string, data: string | Uint8Array | ArrayBuffer | ArrayBufferView | UploadedFile, options?: { contentType?: string }): Promise<Asset>;
  delete(path: string): Promise<boolean>;
  image(path: string, options?: AssetImageOptions): Promise<AssetVariant>;
}

/** Static assets in the data file (REQ-ASSET-001..004). */
declare const assets: AssetsApi;
/** Older engine: public paths such as "/img/logo.png". */
declare function listAssets(): string[];
/** Older engine: a JSON string {"publicPath","mimetype","content" (base64)}, or the string "null". */
declare function fetchAsset(publicPath: string): string;
declare function upsertAsset(publicPath: string, mimetype: string, base64Content: string): void;
declare function deleteAsset(publicPath: string): boolean;

// ---------------------------------------------------------------- MCP (docs/mcp.md)

type McpLogLevel = "debug" | "info" | "notice" | "warning" | "error" | "critical" | "alert" | "emergency";

/** What an MCP handler gets besides its arguments. */
interface McpContext {
  auth: AuthInfo;
  /** A notifications/progress to the client, when it asked for progress. */
  progress(n: number, total?: number, message?: string): void;
  /** Aborts when the client cancels the request. */
  signal: AbortSignal;
  /** A notifications/message to the client, at or above the level it asked for. */
  log(level: McpLogLevel, data: unknown, logger?: string): void;
  requestId: string;
  headers: Record<string, string>;
  tool?: string;
  resource?: string;
  prompt?: string;
}

type McpContent = { type: string; [key: string]: unknown };
type McpToolResult = string | object | { content: McpContent[]; isError?: boolean; structuredContent?: unknown } | null | undefined;
type McpCompleter = (a: { argument: string; value: string; arguments: Record<string, string> }) => string[] | Promise<string[]>;

/** Registers a tool: `inputSchema` is a JSON Schema with "type": "object". */
declare function registerMCPTool(
  name: string,
  description: string,
  inputSchema: Record<string, unknown> | null | undefined,
  handler: ((args: Record<string, any>, ctx: McpContext) => McpToolResult | Promise<McpToolResult>) | string,
  options?: { title?: string; annotations?: Record<string, unknown>; outputSchema?: Record<string, unknown> },
): void;
/** Registers a resource, or a template when the URI has `{var}` parts. */
declare function registerMCPResource(
  uriOrTemplate: string,
  name: string,
  description: string,
  handler: ((req: { uri: string; params: Record<string, string> }, ctx: McpContext) => unknown) | string,
  options?: { title?: string; mimeType?: string; complete?: McpCompleter | string },
): void;
/** Registers a prompt with its arguments. */
declare function registerMCPPrompt(
  name: string,
  description: string,
  args: { name: string; description?: string; required?: boolean }[] | null | undefined,
  handler: ((args: Record<string, string>, ctx: McpContext) => unknown) | string,
  options?: { title?: string; complete?: McpCompleter | string },
): void;
/** Sends notifications/resources/updated to the sessions subscribed to `uri`. */
declare function notifyMCPResourceUpdated(uri: string): void;
