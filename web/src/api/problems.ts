// The API's refusals said in the page's language. The API answers problem details (RFC 9457) whose
// `detail` is English (for scripts); each also carries a stable `code` and the `params` its sentence
// needs (api/errors.py, mam.errors.CODES). The sentence is the code's message (problems.codes), else the
// kind's (problems.kinds: the type URI's last part), else the status's (problems.status), else a generic
// one with the status: never the English detail. A refused field (request validation) is said per field.

import { i18n } from "@/i18n";
import type { components } from "./schema";

type Schemas = components["schemas"];
export type Param = string | number;
/** Problem details as they arrive (a body that was not problem details leaves most of it out). */
export type Problem = Partial<Omit<Schemas["Problem"], "errors">> & { errors?: Schemas["FieldProblem"][] | null };

export interface SayOptions {
  /** A custom field's label by its name (the metadata form knows the tenant's labels). */
  label?: (name: string) => string | undefined;
}

const TYPE_PREFIX = "urn:mam:problem:";

// The messages are typed loosely here: a key is built from the code.
const messages = i18n.global as unknown as {
  t: (key: string, named: Record<string, Param>) => string;
  te: (key: string, locale?: string) => boolean;
};

function known(key: string): boolean {
  return messages.te(key) || messages.te(key, "zh-CN");
}

function say(key: string, params: Record<string, Param> = {}): string {
  return messages.t(key, params);
}

/** A field's name as a person knows it: a core field's label, a custom field's label, else the name. */
function fieldLabel(name: string, options: SayOptions): string {
  const custom = options.label?.(name);
  if (custom) return custom;
  return known(`problems.fields.${name}`) ? say(`problems.fields.${name}`) : name;
}

function profileLabel(name: string): string {
  return known(`asset.profiles.${name}`) ? say(`asset.profiles.${name}`) : name;
}

/** Params said in the page's language: fields, profiles, media kinds and job states by their labels,
 * lists with the language's separator, and the source's valid range of an export as one phrase. */
function localParams(params: Record<string, Param>, options: SayOptions): Record<string, Param> {
  const out: Record<string, Param> = { ...params };
  const list = (text: Param, each: (item: string) => string): string =>
    String(text)
      .split(",")
      .map((item) => item.trim())
      .filter(Boolean)
      .map(each)
      .join(say("problems.separator"));
  if (typeof params.field === "string") out.field = fieldLabel(params.field, options);
  if (params.fields !== undefined) out.fields = list(params.fields, (name) => fieldLabel(name, options));
  if (typeof params.profile === "string") out.profile = profileLabel(params.profile);
  if (params.available !== undefined) {
    out.available = params.available === "" ? say("problems.none") : list(params.available, profileLabel);
  }
  if (params.options !== undefined) out.options = list(params.options, (item) => item);
  if (params.tenants !== undefined) out.tenants = list(params.tenants, (item) => item);
  if (typeof params.kind === "string" && known(`assets.kind.${params.kind}`)) out.kind = say(`assets.kind.${params.kind}`);
  if (typeof params.state === "string" && known(`jobs.state.${params.state}`)) out.state = say(`jobs.state.${params.state}`);
  if (params.duration !== undefined) {
    const duration = Number(params.duration).toFixed(3);
    out.range = params.first_tc
      ? say("problems.range.timecode", { first: params.first_tc, last: params.last_tc ?? "", duration })
      : say("problems.range.seconds", { duration });
  }
  return out;
}

/** One refused field of a request, said in the page's language. */
export function sayField(issue: Schemas["FieldProblem"], options: SayOptions = {}): string {
  const name = issue.field || String(issue.loc[issue.loc.length - 1] ?? "");
  const params = { ...(issue.params ?? {}), field: fieldLabel(name, options) };
  const key = known(`problems.field.${issue.type}`) ? `problems.field.${issue.type}` : "problems.field.default";
  return say(key, params);
}

/** The kind of a problem: the last part of its type URI (`not-found`), if it is one of ours. */
export function kindOf(problem: Problem): string {
  const type = problem.type ?? "";
  return type.startsWith(TYPE_PREFIX) ? type.slice(TYPE_PREFIX.length) : "";
}

/** The sentence to show for a refusal of the API, in the page's language. */
export function sayProblem(status: number, problem: Problem, options: SayOptions = {}): string {
  const fields = problem.errors ?? [];
  if (fields.length) return fields.map((issue) => sayField(issue, options)).join(say("problems.separator"));
  const params = localParams(problem.params ?? {}, options);
  if (problem.code && known(`problems.codes.${problem.code}`)) return say(`problems.codes.${problem.code}`, params);
  const kind = kindOf(problem);
  if (kind && known(`problems.kinds.${kind}`)) return say(`problems.kinds.${kind}`, params);
  if (known(`problems.status.${status}`)) return say(`problems.status.${status}`, params);
  return say("problems.generic", { status });
}

/** The sentence for a request that never got an answer (the network, the server down). */
export function sayUnreachable(): string {
  return say("problems.network");
}
