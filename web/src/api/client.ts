// The one way the workspace talks to the HTTP API (/api/v1): same origin, the HttpOnly session cookie
// (the browser sends it; no script reads it) and, on every write, the session's X-CSRF-Token.
// Errors are thrown as ApiError carrying the API's problem details (RFC 9457); reason() says one in
// the page's language from its code and params (./problems.ts), never the API's English detail.

import type { components } from "./schema";
import { sayProblem, sayUnreachable, type Problem } from "./problems";

export type Schemas = components["schemas"];

export const API = "/api/v1";
export const CSRF_HEADER = "X-CSRF-Token";

export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem;

  constructor(status: number, problem: Problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.name = "ApiError";
    this.status = status;
    this.problem = problem;
  }
}

type Query = Record<string, string | number | boolean | null | undefined | readonly (string | number)[]>;

export interface RequestOptions {
  query?: Query;
  /** Sent as JSON (or as is, when FormData or Blob). */
  body?: unknown;
  signal?: AbortSignal;
  headers?: Record<string, string>;
}

let csrfToken: string | null = null;
const unauthorisedListeners = new Set<() => void>();

/** Set by the session store after sign-in or GET /session; null after sign-out. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

export function getCsrfToken(): string | null {
  return csrfToken;
}

/** Called whenever the API answers 401 (the session ended): the shell shows the sign-in page. */
export function onUnauthorised(listener: () => void): () => void {
  unauthorisedListeners.add(listener);
  return () => unauthorisedListeners.delete(listener);
}

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** Headers a write needs (for code that makes its own requests, e.g. tus-js-client). */
export async function writeHeaders(): Promise<Record<string, string>> {
  if (csrfToken === null) {
    // A page opened already signed in: ask the session for its token. Nobody signed in (signing in
    // is itself a POST): nothing to send.
    const response = await fetch(API + "/session", { headers: { Accept: "application/json" }, credentials: "same-origin" });
    if (response.ok) csrfToken = ((await response.json()) as Schemas["SessionPublic"]).csrf_token ?? null;
  }
  return csrfToken === null ? {} : { [CSRF_HEADER]: csrfToken };
}

/** `/api/v1` + path + query (arrays repeat the parameter; null and undefined are left out). */
export function apiUrl(path: string, query?: Query): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value === null || value === undefined || value === "") continue;
    if (Array.isArray(value)) for (const item of value) params.append(name, String(item));
    else params.append(name, String(value));
  }
  const text = params.toString();
  return API + path + (text ? `?${text}` : "");
}

async function problemOf(response: Response): Promise<Problem> {
  try {
    const body: unknown = await response.json();
    if (body && typeof body === "object") return body as Problem;
  } catch {
    // not JSON: the status line says it
  }
  return { status: response.status, title: response.statusText };
}

/** One request; the answer's JSON (undefined for 204). */
export async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const upper = method.toUpperCase();
  const headers: Record<string, string> = { Accept: "application/json", ...(options.headers ?? {}) };
  if (UNSAFE.has(upper)) Object.assign(headers, await writeHeaders());
  let body: BodyInit | undefined;
  if (options.body instanceof FormData || options.body instanceof Blob) body = options.body;
  else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers["Content-Type"] = "application/json";
  }
  const init: RequestInit = { method: upper, headers, credentials: "same-origin" };
  if (body !== undefined) init.body = body;
  if (options.signal) init.signal = options.signal;
  const response = await fetch(apiUrl(path, options.query), init);
  if (!response.ok) {
    const problem = await problemOf(response);
    if (response.status === 401) {
      csrfToken = null;
      for (const listener of unauthorisedListeners) listener();
    }
    throw new ApiError(response.status, problem);
  }
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

export const get = <T>(path: string, query?: Query, signal?: AbortSignal): Promise<T> =>
  request<T>("GET", path, { ...(query ? { query } : {}), ...(signal ? { signal } : {}) });
export const post = <T>(path: string, body?: unknown): Promise<T> => request<T>("POST", path, { body });
export const patch = <T>(path: string, body?: unknown): Promise<T> => request<T>("PATCH", path, { body });
export const put = <T>(path: string, body?: unknown): Promise<T> => request<T>("PUT", path, { body });
export const del = <T>(path: string): Promise<T> => request<T>("DELETE", path);

/** The sentence to show for any error, in the page's language: an ApiError said from its code and
 * params; a request that got no answer (fetch's TypeError) as such; anything else by its message. */
export function reason(error: unknown): string {
  if (error instanceof ApiError) return sayProblem(error.status, error.problem);
  if (error instanceof TypeError && /fetch|network|load failed/i.test(error.message)) return sayUnreachable();
  if (error instanceof Error) return error.message;
  return String(error);
}
