// The asset page's calls (beside the shell's in src/api/endpoints.ts), typed by the OpenAPI schema.

import { del, get, patch, post, request, type Schemas } from "@/api";
import type { operations } from "@/api/schema";

export type Asset = Schemas["AssetPublic"];
export type AssetUpdate = Schemas["AssetUpdate"];
export type Rendition = Schemas["RenditionPublic"];
export type Job = Schemas["JobPublic"];
export type ShotList = Schemas["ShotList"];
export type Shot = Schemas["ShotPublic"];
export type QcReport = Schemas["QcReport"];
export type QcCheck = Schemas["QcCheck"];
export type Segment = Schemas["Segment"];
export type Field = Schemas["FieldPublic"];
export type Share = Schemas["SharePublic"];
export type Profile = Schemas["ProfilePublic"];
export type RenditionsRequested = Schemas["RenditionsRequested"];

export type Waveform = Schemas["WaveformPublic"];
export type ScreenTextLine = Schemas["ScreenTextLinePublic"];
export type ScreenTextList = Schemas["ScreenTextList"];
export type SoundSegment = Schemas["SoundSegment"];
export type SpeechReport = Schemas["SpeechPublic"];
export type ShareTarget = Schemas["ShareTarget"];

const base = (id: string): string => `/assets/${encodeURIComponent(id)}`;

export const assetApi = {
  read: (id: string) => get<Asset>(base(id)),
  update: (id: string, changes: AssetUpdate) => patch<Asset>(base(id), changes),
  shots: (id: string) => get<ShotList>(`${base(id)}/shots`),
  qc: (id: string) => get<QcReport>(`${base(id)}/qc`),
  text: (id: string) => get<ScreenTextList>(`${base(id)}/text`),
  speech: (id: string) => get<SpeechReport>(`${base(id)}/speech`),
  exportRange: (id: string, profile: string, start: number, end: number) =>
    post<Job>(`${base(id)}/exports`, { profile, start, end } satisfies Omit<Schemas["ExportCreate"], "lane">),
  requestRenditions: (id: string, profiles: string[]) =>
    post<RenditionsRequested>(`${base(id)}/renditions`, { profiles } satisfies Omit<Schemas["RenditionsCreate"], "lane">),
  shares: (id: string) => get<Share[]>(`${base(id)}/shares`),
  share: (id: string, tenants: string[]) =>
    post<Share[]>(`${base(id)}/shares`, { tenants } satisfies Schemas["ShareCreate"]),
  unshare: (id: string, tenant: string) => del<void>(`${base(id)}/shares/${encodeURIComponent(tenant)}`),
  shareTargets: () => get<ShareTarget[]>("/share-targets"),
  waveform: (id: string, points: number) =>
    get<Waveform>(`${base(id)}/waveform`, { points } satisfies operations["getWaveform"]["parameters"]["query"]),
  fields: () => get<Field[]>("/fields"),
  profiles: () => get<Profile[]>("/profiles"),
  jobs: (id: string) => get<Schemas["JobList"]>("/jobs", { asset_id: id, limit: 20 }),
  job: (jobId: string) => request<Job>("GET", `/jobs/${encodeURIComponent(jobId)}`),
};

/** A stored file's URL under /api/v1 (those the API answers are absolute paths already). */
export const renditionUrl = (id: string, profile: string): string =>
  `/api/v1${base(id)}/renditions/${encodeURIComponent(profile)}`;

/** The on-screen text as subtitles: text.srt or text.vtt (a download link). */
export const textExportUrl = (id: string, format: "srt" | "vtt"): string => `/api/v1${base(id)}/text.${format}`;
