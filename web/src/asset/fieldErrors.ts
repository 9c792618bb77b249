// The API's refusals of a metadata change, by field: request validation lists each field in
// `errors` (field "title", "tags.3", "custom.weather"); a custom field's value is refused with a detail
// that starts with the field's name ("weather: 'x' is not one of ..."). Messages of known kinds are
// said in the page's language; others are the API's own sentence.

import { ApiError } from "@/api";

export interface FieldIssue {
  field: string;
  type: string;
  message: string;
}

function fieldOf(path: string, known: readonly string[]): string {
  const parts = path.split(".");
  if (parts[0] === "custom" && parts[1]) return `custom.${parts[1]}`;
  return known.includes(parts[0] ?? "") ? (parts[0] as string) : "";
}

/** Issues by field ("" for those that name none) from an error of a PATCH. */
export function issuesOf(error: unknown, known: readonly string[], custom: readonly string[]): FieldIssue[] {
  if (!(error instanceof ApiError)) return [{ field: "", type: "", message: String(error) }];
  const listed = error.problem.errors;
  if (Array.isArray(listed) && listed.length) {
    return listed.map((item) => {
      const entry = item as { field?: string; type?: string; message?: string };
      return { field: fieldOf(entry.field ?? "", known), type: entry.type ?? "", message: entry.message ?? "" };
    });
  }
  const detail = error.message;
  const named = /^([a-z][a-z0-9_]*): /.exec(detail);
  if (named && named[1]) {
    const name = named[1];
    if (custom.includes(name)) return [{ field: `custom.${name}`, type: "custom", message: detail.slice(name.length + 2) }];
    if (known.includes(name)) return [{ field: name, type: "", message: detail.slice(name.length + 2) }];
  }
  const required = /^required custom field\(s\) missing: (.+)$/.exec(detail);
  if (required && required[1]) {
    return required[1].split(", ").map((name) => ({ field: `custom.${name}`, type: "missing", message: detail }));
  }
  return [{ field: "", type: "", message: detail }];
}

/** A number the message gives (the length limit of "at most 200 characters"). */
export function limitIn(message: string): string {
  return /(\d+)/.exec(message)?.[1] ?? "";
}
