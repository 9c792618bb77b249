// Typed calls of the routes the shell uses. The asset page (src/asset/) adds its own beside its code,
// built on request()/get()/post() from ./client.

import { del, get, post, type Schemas } from "./client";

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

export interface SearchQuery {
  q?: string;
  programme?: string | null;
  tag?: string | null;
  reporter?: string | null;
  status?: string | null;
  type?: string | null;
  date_from?: string | null;
  date_to?: string | null;
  duration_min?: number | null;
  duration_max?: number | null;
  sort?: "relevance" | "newest" | "oldest" | "shoot_date" | "duration";
  limit?: number;
  offset?: number;
  cursor?: string | null;
  facets?: boolean;
}

export const search = (query: SearchQuery, signal?: AbortSignal) =>
  get<SearchResponse>("/search", { ...query }, signal);

export const assets = {
  list: (query: { q?: string; status?: string; limit?: number; offset?: number } = {}) =>
    get<AssetList>("/assets", query),
  read: (id: string) => get<Asset>(`/assets/${encodeURIComponent(id)}`),
  remove: (id: string) => del<Schemas["AssetDeleted"]>(`/assets/${encodeURIComponent(id)}`),
  retry: (id: string) => post<unknown>(`/assets/${encodeURIComponent(id)}/retry`),
};

export const jobs = {
  list: (query: { state?: JobState[]; asset_id?: string; limit?: number; offset?: number } = {}) =>
    get<JobList>("/jobs", query),
  read: (id: string) => get<Job>(`/jobs/${encodeURIComponent(id)}`),
  cancel: (id: string) => post<Job>(`/jobs/${encodeURIComponent(id)}/cancel`),
};

export const profiles = {
  list: () => get<Profile[]>("/profiles"),
};
