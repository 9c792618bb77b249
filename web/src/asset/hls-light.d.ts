// hls.js's light build (no subtitles, alternate audio or DRM: the asset page plays a ladder of one
// audio and one video track) has the full build's API; its package entry carries no types of its own.
declare module "hls.js/light" {
  export * from "hls.js";
  export { default } from "hls.js";
}
