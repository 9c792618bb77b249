import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, URL } from "node:url";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import { defineConfig, type Plugin } from "vite";
import vue from "@vitejs/plugin-vue";
import Components from "unplugin-vue-components/vite";
import { ElementPlusResolver } from "unplugin-vue-components/resolvers";

const FIRST_PAGE = "/src/views/AssetsPage.vue";

/**
 * The first page's critical path in index.html: the page one lands on (/ leads to /assets) is fetched
 * while the entry script still downloads, not after it has run. Its chunk and the chunks and styles it
 * imports are preloaded (`modulepreload`, `preload as=style`: neither blocks the first paint), and so is
 * the session check the router makes before showing any page (`preload as=fetch`, credentials as the
 * API client sends them), so the entry script finds both on arrival. Another page's chunk is fetched
 * as before; a preloaded one unused costs a few kilobytes.
 */
function firstPage(): Plugin {
  return {
    name: "mam-first-page",
    apply: "build",
    transformIndexHtml: {
      order: "post",
      handler(_html, context) {
        const bundle = context.bundle;
        if (!bundle) return [];
        const chunks = Object.values(bundle).filter((c) => c.type === "chunk");
        const page = chunks.find((c) => c.facadeModuleId?.endsWith(FIRST_PAGE));
        if (!page) throw new Error(`${FIRST_PAGE} is no chunk of its own: the first page's preloads need one`);
        const entry = new Set(chunks.filter((c) => c.isEntry).map((c) => c.fileName));
        const scripts: string[] = [];
        const styles = new Set<string>();
        const visit = (fileName: string): void => {
          if (entry.has(fileName) || scripts.includes(fileName)) return;
          const chunk = chunks.find((c) => c.fileName === fileName);
          if (!chunk) return;
          scripts.push(fileName);
          for (const css of chunk.viteMetadata?.importedCss ?? []) styles.add(css);
          for (const imported of chunk.imports) visit(imported);
        };
        visit(page.fileName);
        return [
          {
            tag: "link",
            attrs: { rel: "preload", href: "/api/v1/session", as: "fetch", crossorigin: "anonymous" },
            injectTo: "head" as const,
          },
          ...scripts.map((file) => ({
            tag: "link",
            attrs: { rel: "modulepreload", crossorigin: "", href: `/${file}` },
            injectTo: "head" as const,
          })),
          ...[...styles].map((file) => ({
            tag: "link",
            attrs: { rel: "preload", as: "style", crossorigin: "", href: `/${file}` },
            injectTo: "head" as const,
          })),
        ];
      },
    },
  };
}

/**
 * Each built script and style also as name.br and name.gz (brotli at its best, gzip -9), which the
 * server (api/web.py) sends to a browser that takes them: compressed once here, not on every request.
 */
function precompressed(): Plugin {
  return {
    name: "mam-precompressed",
    apply: "build",
    writeBundle(options, bundle) {
      const dir = options.dir ?? "dist";
      for (const file of Object.values(bundle)) {
        if (!/\.(js|css|svg|json)$/.test(file.fileName)) continue;
        const body = Buffer.from(file.type === "chunk" ? file.code : file.source);
        if (body.length < 1024) continue; // what the server sends as it is
        const br = brotliCompressSync(body, {
          params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: body.length },
        });
        writeFileSync(join(dir, `${file.fileName}.br`), br);
        writeFileSync(join(dir, `${file.fileName}.gz`), gzipSync(body, { level: 9 }));
      }
    },
  };
}

// Element Plus components (and their CSS) are imported where a template uses them, so each route's
// chunk carries only what it shows; routes are lazy-loaded (src/router.ts).
export default defineConfig({
  plugins: [
    vue(),
    Components({ resolvers: [ElementPlusResolver({ importStyle: "css" })], dts: false }),
    firstPage(),
    precompressed(),
  ],
  resolve: { alias: { "@": fileURLToPath(new URL("./src", import.meta.url)) } },
  // Built files go to dist/_app/ (not assets/: /assets/<id> is a page of the workspace).
  build: { outDir: "dist", assetsDir: "_app", emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 600 },
  server: {
    // `npm run dev` beside `mam serve` on :8000: the API answers through Vite's proxy (same origin).
    proxy: { "/api": "http://127.0.0.1:8000", "/healthz": "http://127.0.0.1:8000" },
  },
});
