// Who is signed in, and what their role may do (GET /api/v1/session answers the role's permissions,
// roles/roles.toml). Components ask `can("asset:create")` to show or hide controls; the API refuses
// what the role may not do whatever the page shows.

import { computed, reactive, readonly } from "vue";
import { ApiError, setCsrfToken, session as sessionApi, type Session } from "./api";

interface State {
  checked: boolean;
  who: Session | null;
}

const state = reactive<State>({ checked: false, who: null });

export const current = readonly(state);

export const signedIn = computed(() => state.who !== null);

export function can(permission: string): boolean {
  return state.who?.permissions?.includes(permission) ?? false;
}

function remember(who: Session | null): void {
  state.who = who;
  state.checked = true;
  setCsrfToken(who?.csrf_token ?? null);
}

/** Ask the API who this browser is (once per page load unless forced); null when nobody is signed in. */
export async function load(force = false): Promise<Session | null> {
  if (state.checked && !force) return state.who;
  try {
    remember(await sessionApi.read());
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) remember(null);
    else throw error;
  }
  return state.who;
}

export async function signIn(name: string, password: string): Promise<Session> {
  const who = await sessionApi.signIn(name, password);
  remember(who);
  return who;
}

export async function signOut(): Promise<void> {
  try {
    await sessionApi.signOut();
  } finally {
    remember(null);
  }
}

/** The session ended elsewhere (a 401 from any call). */
export function forget(): void {
  remember(null);
}
