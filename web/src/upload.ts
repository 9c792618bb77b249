// The upload queue: files go up over tus (tus-js-client) to /api/v1/uploads, two at a time, each with
// its progress. tus-js-client remembers every unfinished upload in localStorage by the file's
// fingerprint (name, type, size, modification time, endpoint): after a page reload, adding the same
// file again resumes it where the server has it. The queue lives in this module, so uploads go on
// while the editor moves to another page of the workspace.

import { reactive } from "vue";
import { DetailedError, Upload, defaultOptions, type PreviousUpload } from "tus-js-client";
import { API, reason, sayProblem, sayUnreachable, writeHeaders, type Problem } from "./api";

export type UploadState = "waiting" | "uploading" | "paused" | "done" | "duplicate" | "failed";

export interface UploadItem {
  key: number;
  file: File;
  /** The file's path inside a dropped or chosen folder, else its name. */
  path: string;
  state: UploadState;
  sent: number;
  total: number;
  /** Bytes per second over the last progress events. */
  rate: number;
  /** Percent the server already had when this upload was resumed from an earlier page. */
  resumedAt: number | null;
  error: string;
  assetId: string | null;
  upload: Upload | null;
}

export interface UploadChoice {
  profiles: string[];
  tags: string;
}

const ENDPOINT = `${API}/uploads`;
const PARALLEL = 2;
const CHUNK = 8 * 1024 * 1024;
const CHUNK_SETTING = "mam.upload.chunkBytes";

export const queue = reactive<UploadItem[]>([]);
let counter = 0;
let choice: UploadChoice = { profiles: [], tags: "" };

/** Bytes per PATCH: 8 MiB, or what localStorage `mam.upload.chunkBytes` says (tests, slow links). */
function chunkSize(): number {
  const stored = Number(globalThis.localStorage?.getItem(CHUNK_SETTING));
  return Number.isFinite(stored) && stored >= 1024 ? stored : CHUNK;
}

export function add(files: { file: File; path: string }[]): void {
  for (const { file, path } of files) {
    queue.push({
      key: ++counter,
      file,
      path,
      state: "waiting",
      sent: 0,
      total: file.size,
      rate: 0,
      resumedAt: null,
      error: "",
      assetId: null,
      upload: null,
    });
  }
}

/** Start what waits, with these profiles and tags (the choice stays for files added later). */
export function startAll(next: UploadChoice): void {
  choice = next;
  pump();
}

function pump(): void {
  let running = queue.filter((item) => item.state === "uploading").length;
  for (const item of queue) {
    if (running >= PARALLEL) break;
    if (item.state === "waiting") {
      running += 1;
      void begin(item);
    }
  }
}

/** A refused request's problem details said in the page's language (never the API's English detail);
 * an upload that got no answer at all, as such. */
function refusal(error: Error | DetailedError): string {
  if (error instanceof DetailedError && error.originalResponse) {
    const status = error.originalResponse.getStatus();
    let problem: Problem = {};
    try {
      const body: unknown = JSON.parse(error.originalResponse.getBody());
      if (body && typeof body === "object") problem = body as Problem;
    } catch {
      // not problem details: the status says it
    }
    return sayProblem(status, problem);
  }
  return sayUnreachable();
}

/** A refusal that trying again cannot change (4xx other than conflicts, locks and rate limits). */
function final(error: Error | DetailedError): boolean {
  const status = error instanceof DetailedError ? error.originalResponse?.getStatus() : undefined;
  return status !== undefined && status >= 400 && status < 500 && ![409, 423, 429].includes(status);
}

async function begin(item: UploadItem): Promise<void> {
  item.state = "uploading";
  item.error = "";
  let headers: Record<string, string>;
  try {
    headers = await writeHeaders();
  } catch (error) {
    item.state = "failed";
    item.error = reason(error);
    pump();
    return;
  }
  const metadata: Record<string, string> = { filename: item.file.name, filetype: item.file.type || "" };
  if (choice.profiles.length) metadata.profiles = choice.profiles.join(",");
  if (choice.tags.trim()) metadata.tags = choice.tags.trim();
  let last = { time: performance.now(), bytes: 0 };
  const upload = new Upload(item.file, {
    endpoint: ENDPOINT,
    chunkSize: chunkSize(),
    retryDelays: [0, 1000, 3000, 5000, 10000],
    headers,
    metadata,
    storeFingerprintForResuming: true,
    removeFingerprintOnSuccess: true,
    onShouldRetry: (error) => !final(error),
    onProgress(sent, total) {
      const now = performance.now();
      if (now - last.time > 500) {
        item.rate = ((sent - last.bytes) * 1000) / (now - last.time);
        last = { time: now, bytes: sent };
      }
      item.sent = sent;
      item.total = total;
    },
    onAfterResponse(request, response) {
      const offset = response.getHeader("Upload-Offset");
      if (request.getMethod() === "HEAD" && offset && item.total > 0 && item.sent === 0) {
        item.sent = Number(offset);
        last = { time: performance.now(), bytes: item.sent };
        item.resumedAt = Math.floor((Number(offset) * 100) / item.total);
      }
      const asset = response.getHeader("Mam-Asset-Id");
      if (asset) {
        item.assetId = asset;
        if (response.getHeader("Mam-Asset-Duplicate") === "true") item.state = "duplicate";
      }
    },
    onSuccess() {
      item.sent = item.total;
      if (item.state !== "duplicate") item.state = "done";
      item.upload = null;
      pump();
    },
    onError(error) {
      item.state = "failed";
      item.error = refusal(error);
      item.upload = null;
      pump();
    },
  });
  item.upload = upload;
  const previous: PreviousUpload[] = await upload.findPreviousUploads();
  const latest = previous.sort((a, b) => b.creationTime.localeCompare(a.creationTime))[0];
  if (latest) upload.resumeFromPreviousUpload(latest);
  upload.start();
}

export function pause(item: UploadItem): void {
  if (item.state !== "uploading" || !item.upload) return;
  void item.upload.abort();
  item.state = "paused";
  pump();
}

export function resume(item: UploadItem): void {
  if (item.state !== "paused" && item.state !== "failed") return;
  item.state = "waiting";
  pump();
}

export function remove(item: UploadItem): void {
  if (item.upload) void item.upload.abort(true); // ends the upload on the server too
  const index = queue.indexOf(item);
  if (index >= 0) queue.splice(index, 1);
  pump();
}

export function clearFinished(): void {
  for (const item of [...queue]) if (item.state === "done" || item.state === "duplicate") remove(item);
}

/** Uploads an earlier page left unfinished (by file name): adding the same file resumes it. */
export async function unfinished(): Promise<{ name: string; since: string }[]> {
  const storage = defaultOptions.urlStorage;
  const all = await storage.findAllUploads();
  return all
    .map((upload) => ({ name: upload.metadata.filename ?? "", since: upload.creationTime }))
    .filter((entry) => entry.name && !queue.some((item) => item.file.name === entry.name));
}

/** Every file of a drop, folders walked (their files keep their path inside the folder). */
export async function dropped(transfer: DataTransfer): Promise<{ file: File; path: string }[]> {
  const entries = [...transfer.items]
    .filter((item) => item.kind === "file")
    .map((item) => item.webkitGetAsEntry())
    .filter((entry): entry is FileSystemEntry => entry !== null);
  if (!entries.length) return [...transfer.files].map((file) => ({ file, path: file.name }));
  const out: { file: File; path: string }[] = [];
  const walk = async (entry: FileSystemEntry): Promise<void> => {
    if (entry.name.startsWith(".")) return; // .DS_Store, Thumbs and the like of a folder
    if (entry.isFile) {
      const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
      out.push({ file, path: entry.fullPath.replace(/^\//, "") });
    } else if (entry.isDirectory) {
      const reader = (entry as FileSystemDirectoryEntry).createReader();
      for (;;) {
        const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
        if (!batch.length) break;
        for (const child of batch) await walk(child);
      }
    }
  };
  for (const entry of entries) await walk(entry);
  return out;
}
