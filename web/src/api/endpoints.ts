// Typed calls of the routes the shell uses, typed by the OpenAPI schema (./schema.d.ts, `make
// web-schema`). The asset page (src/asset/) adds its own beside its code, built on request()/get()/post().

import { del, get, post, type Schemas } from "./client";
import type { operations } from "./schema";

/** The query parameters of an operation of the API. */
type QueryOf<Name extends keyof operations> = NonNullable<operations[Name]["parameters"]["query"]>;

export type Session = Schemas["SessionPublic"];
export type Asset = Schemas["AssetPublic"];
export type AssetList = Schemas["AssetList"];
export type SearchResponse = Schemas["SearchResponse"];
export type Job = Schemas["JobPublic"];
export type JobList = Schemas["JobList"];
export type JobState = Schemas["JobState"];
export type Profile = Schemas["ProfilePublic"];

export const session = {
  read: () => get<Session>("/session"),
  signIn: (name: string, password: string) => post<Session>("/session", { name, password }),
  signOut: () => del<void>("/session"),
};

/** GET /search's query; the page offers these orders (the API takes any of them as a string). */
export type SearchQuery = Omit<QueryOf<"searchAssets">, "sort" | "status"> & {
  sort?: "relevance" | "newest" | "oldest" | "shoot_date" | "duration";
  status?: string | null;
};

export const search = (query: SearchQuery, signal?: AbortSignal) =>
  get<SearchResponse>("/search", { ...query }, signal);

export const assets = {
  list: (query: QueryOf<"listAssets"> = {}) => get<AssetList>("/assets", query),
  read: (id: string) => get<Asset>(`/assets/${encodeURIComponent(id)}`),
  remove: (id: string) => del<Schemas["AssetDeleted"]>(`/assets/${encodeURIComponent(id)}`),
  retry: (id: string) => post<unknown>(`/assets/${encodeURIComponent(id)}/retry`),
};

export const jobs = {
  list: (query: QueryOf<"listJobs"> = {}) => get<JobList>("/jobs", query),
  read: (id: string) => get<Job>(`/jobs/${encodeURIComponent(id)}`),
  cancel: (id: string) => post<Job>(`/jobs/${encodeURIComponent(id)}/cancel`),
};

export const profiles = {
  list: () => get<Profile[]>("/profiles"),
};
