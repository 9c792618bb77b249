// The API's refusals of a metadata change, by field: request validation lists each field in `errors`
// (field "title", "tags.3", "custom.weather"); a refusal of a custom or core value names its field in
// `params.field` (codes custom-*, field-*), required custom fields in `params.fields`. Every message is
// said in the page's language (src/api/problems.ts), never the API's English detail.

import { ApiError, reason, sayField, sayProblem, type SayOptions } from "@/api";

export interface FieldIssue {
  field: string;
  /** the kind of a request validation error (`string_too_long`), else "" */
  type: string;
  /** the limits of a request validation error (`max_length`...) */
  params: Record<string, string | number>;
  message: string;
}

function fieldOf(path: string, known: readonly string[]): string {
  const parts = path.split(".");
  if (parts[0] === "custom" && parts[1]) return `custom.${parts[1]}`;
  return known.includes(parts[0] ?? "") ? (parts[0] as string) : "";
}

/** Issues by field ("" for those that name none) from an error of a PATCH. */
export function issuesOf(
  error: unknown,
  known: readonly string[],
  custom: readonly string[],
  options: SayOptions = {},
): FieldIssue[] {
  if (!(error instanceof ApiError)) return [{ field: "", type: "", params: {}, message: reason(error) }];
  const listed = error.problem.errors ?? [];
  if (listed.length) {
    return listed.map((item) => ({
      field: fieldOf(item.field, known),
      type: item.type,
      params: item.params ?? {},
      message: sayField(item, options),
    }));
  }
  const params = error.problem.params ?? {};
  const message = sayProblem(error.status, error.problem, options);
  const named = typeof params.field === "string" ? params.field : "";
  if (named && custom.includes(named)) return [{ field: `custom.${named}`, type: "", params: {}, message }];
  if (named && known.includes(named)) return [{ field: named, type: "", params: {}, message }];
  if (error.problem.code === "custom-required" && typeof params.fields === "string") {
    const names = params.fields
      .split(",")
      .map((name) => name.trim())
      .filter((name) => custom.includes(name));
    if (names.length) return names.map((name) => ({ field: `custom.${name}`, type: "missing", params: {}, message }));
  }
  return [{ field: "", type: "", params: {}, message }];
}
