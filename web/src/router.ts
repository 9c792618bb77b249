// Routes. Every page is its own lazily loaded chunk. The asset page lives in src/asset/ (its own folder,
// built separately from the shell). A route with `meta.public` needs no sign-in; any other sends a person
// who is not signed in to /signin?next=<where they were going>. `meta.permission` hides a route from a
// role that lacks it (the API refuses it anyway).

import { createRouter, createWebHistory, type RouteRecordRaw } from "vue-router";
import { can, load } from "./session";

declare module "vue-router" {
  interface RouteMeta {
    public?: boolean;
    permission?: string;
    /** i18n key of the page's title (document.title). */
    title?: string;
  }
}

export const routes: RouteRecordRaw[] = [
  { path: "/", redirect: "/assets" },
  {
    path: "/signin",
    name: "signin",
    component: () => import("./views/SignInPage.vue"),
    meta: { public: true, title: "signIn.title" },
  },
  {
    path: "/assets",
    name: "assets",
    component: () => import("./views/AssetsPage.vue"),
    meta: { title: "assets.title", permission: "asset:read" },
  },
  {
    path: "/assets/:id",
    name: "asset",
    component: () => import("./asset/AssetPage.vue"),
    props: true,
    meta: { title: "assets.title", permission: "asset:read" },
  },
  {
    path: "/upload",
    name: "upload",
    component: () => import("./views/UploadPage.vue"),
    meta: { title: "upload.title", permission: "asset:create" },
  },
  {
    path: "/jobs",
    name: "jobs",
    component: () => import("./views/JobsPage.vue"),
    meta: { title: "jobs.title", permission: "job:read" },
  },
  {
    path: "/forbidden",
    name: "forbidden",
    component: () => import("./views/NotFoundPage.vue"),
    props: { forbidden: true },
    meta: { public: true, title: "app.forbidden" },
  },
  {
    path: "/:pathMatch(.*)*",
    name: "not-found",
    component: () => import("./views/NotFoundPage.vue"),
    meta: { public: true, title: "app.notFound" },
  },
];

export const router = createRouter({ history: createWebHistory(), routes });

let starting: Promise<unknown> | null = null;

/** The first page's critical path, side by side rather than one after the other: the session check
 * and the chunk of the page at ``path`` (the router would fetch the chunk only once the check is done). */
export function start(path: string): void {
  starting = load().catch(() => null); // a failure is the guard's to report (it asks again)
  for (const record of router.resolve(path).matched) {
    const component = record.components?.default;
    if (typeof component === "function") void (component as () => Promise<unknown>)().catch(() => undefined);
  }
}

router.beforeEach(async (to) => {
  if (to.meta.public) return true;
  if (starting) await starting; // one session request, not a second beside the first
  starting = null;
  const who = await load();
  if (who === null) return { name: "signin", query: { next: to.fullPath } };
  if (to.meta.permission && !can(to.meta.permission)) {
    return { name: "forbidden" };
  }
  return true;
});
