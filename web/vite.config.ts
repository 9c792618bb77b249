import { fileURLToPath, URL } from "node:url";
import { defineConfig } from "vite";
import vue from "@vitejs/plugin-vue";
import Components from "unplugin-vue-components/vite";
import { ElementPlusResolver } from "unplugin-vue-components/resolvers";

// Element Plus components (and their CSS) are imported where a template uses them, so each route's
// chunk carries only what it shows; routes are lazy-loaded (src/router.ts).
export default defineConfig({
  plugins: [
    vue(),
    Components({ resolvers: [ElementPlusResolver({ importStyle: "css" })], dts: false }),
  ],
  resolve: { alias: { "@": fileURLToPath(new URL("./src", import.meta.url)) } },
  // Built files go to dist/_app/ (not assets/: /assets/<id> is a page of the workspace).
  build: { outDir: "dist", assetsDir: "_app", emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 600 },
  server: {
    // `npm run dev` beside `mam serve` on :8000: the API answers through Vite's proxy (same origin).
    proxy: { "/api": "http://127.0.0.1:8000", "/healthz": "http://127.0.0.1:8000" },
  },
});
