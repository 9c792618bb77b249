// mam web page: plain JavaScript over the public HTTP API (/api/v1), no build step.
"use strict";

const $ = (id) => document.getElementById(id);
const api = "/api/v1";
let current = null; // the asset shown in the detail panel
let timer = null;
// Signed in by the session cookie (HttpOnly: this script never sees it); every write sends the
// session's CSRF token, which POST /api/v1/session and GET /api/v1/session answer.
let csrf = null;

function headers(extra = {}) {
  return csrf ? { ...extra, "X-CSRF-Token": csrf } : extra;
}

function signedIn(who) {
  csrf = who.csrf_token;
  $("whoami").textContent = `${who.principal} · ${who.tenant_id} · ${who.role}`;
  $("signin").hidden = true;
  $("signout").hidden = false;
}

function signedOut(reason) {
  csrf = null;
  $("whoami").textContent = "";
  $("signin").hidden = false;
  $("signout").hidden = true;
  $("signin-status").textContent = reason || "";
}

// The session's CSRF token, asked for once before the first write of a page opened while signed in.
async function session() {
  const response = await fetch(api + "/session");
  if (!response.ok) { signedOut("请登录 sign in"); return; }
  signedIn(await response.json());
}

async function get(path) {
  const response = await fetch(api + path, { headers: headers() });
  if (response.status === 401) signedOut("请登录 sign in");
  if (!response.ok) throw new Error((await response.json()).detail || response.statusText);
  return response.json();
}

async function send(method, path, body) {
  if (!csrf) await session();
  const response = await fetch(api + path, {
    method, headers: headers({ "Content-Type": "application/json" }), body: JSON.stringify(body),
  });
  const data = await response.json();
  if (!response.ok) throw new Error(data.detail || response.statusText);
  return data;
}

function text(tag, content, className) {
  const node = document.createElement(tag);
  node.textContent = content;
  if (className) node.className = className;
  return node;
}

function duration(seconds) {
  if (seconds == null) return "–";
  const m = Math.floor(seconds / 60);
  return `${m}:${(seconds - m * 60).toFixed(1).padStart(4, "0")}`;
}

function size(bytes) {
  const units = ["B", "KB", "MB", "GB"];
  let i = 0;
  while (bytes >= 1024 && i < units.length - 1) { bytes /= 1024; i += 1; }
  return `${bytes.toFixed(i ? 1 : 0)} ${units[i]}`;
}

let profilesLoaded = false;

async function loadProfiles() {
  const profiles = await get("/profiles");
  profilesLoaded = true;
  const box = $("profiles");
  const select = $("export-profile");
  for (const p of profiles) {
    const label = document.createElement("label");
    const input = document.createElement("input");
    input.type = "checkbox";
    input.value = p.name;
    input.checked = ["proxy", "web_720p", "poster"].includes(p.name);
    label.append(input, " " + p.name);
    label.title = p.description;
    box.append(label);
    if (p.container !== "jpeg") select.append(new Option(p.name, p.name));
  }
}

// Words go to the search (/api/v1/search: either script, pinyin, tag: and other filters), ranked as
// it ranks them; without words the list shows the newest assets.
async function findAssets(q) {
  if (!q) {
    const page = await get("/assets?limit=100");
    return { total: `${page.total}`, assets: page.items };
  }
  const found = await get(`/search?limit=100&facets=false&q=${encodeURIComponent(q)}`);
  return { total: `${found.total_is_estimate ? "≈" : ""}${found.total}`, assets: found.items.map((hit) => hit.asset) };
}

async function loadAssets() {
  const list = $("assets");
  let found;
  try {
    found = await findAssets($("q").value.trim());
  } catch (error) {
    $("count").textContent = `(${error.message})`;
    list.replaceChildren();
    return;
  }
  $("count").textContent = `(${found.total})`;
  list.replaceChildren();
  for (const asset of found.assets) {
    const item = document.createElement("li");
    item.className = `asset ${asset.status}`;
    const poster = asset.renditions.find((r) => r.profile === "poster");
    if (poster) {
      const img = document.createElement("img");
      img.src = poster.url;
      img.alt = "";
      img.loading = "lazy";
      item.append(img);
    }
    item.append(text("strong", asset.title), text("span", `${asset.media_kind} · ${duration(asset.duration)} · ${asset.status}`));
    item.onclick = () => show(asset.id);
    list.append(item);
  }
}

async function show(id) {
  const asset = await get(`/assets/${id}`);
  current = asset;
  $("detail-panel").hidden = false;
  $("detail-title").textContent = asset.title;
  const facts = $("detail-facts");
  facts.replaceChildren();
  const probe = asset.probe || {};
  const video = (probe.video || [])[0];
  const rows = [
    ["file", `${asset.original_filename} (${size(asset.size)})`],
    ["duration", duration(asset.duration)],
    ["picture", video ? `${video.codec} ${video.width}×${video.height} ${video.frame_rate} ${video.field_order}${video.rotation ? ` rotated ${video.rotation}°` : ""}` : "none"],
    ["sound", (probe.audio || []).map((a) => `${a.codec} ${a.channel_layout}`).join(", ") || "none"],
    ["timecode", probe.start_timecode || "–"],
    ["tags", asset.tags.join(", ") || "–"],
    ["status", asset.status + (asset.error ? `: ${asset.error}` : "")],
  ];
  for (const [key, value] of rows) facts.append(text("dt", key), text("dd", value));
  const proxy = asset.renditions.find((r) => r.profile === "proxy" && r.width);
  const player = $("player");
  player.hidden = !proxy;
  if (proxy && player.getAttribute("src") !== proxy.url) player.src = proxy.url;
  const renditions = $("renditions");
  renditions.replaceChildren();
  for (const r of asset.renditions) {
    const item = document.createElement("li");
    const link = document.createElement("a");
    link.href = r.url;
    link.textContent = r.profile;
    item.append(link, ` ${r.width ? `${r.width}×${r.height} · ` : ""}${size(r.size)} · ${r.seconds.toFixed(2)} s`);
    renditions.append(item);
  }
  renderJobs(asset.jobs);
}

function renderJobs(jobs) {
  const list = $("jobs");
  list.replaceChildren();
  let running = false;
  for (const job of jobs.slice().reverse()) {
    const item = document.createElement("li");
    const bar = document.createElement("progress");
    bar.max = 1;
    bar.value = job.progress;
    const speed = job.fps ? ` · ${job.fps} fps · ${Math.round(job.eta_seconds || 0)} s left` : "";
    item.append(text("span", `${job.kind} ${job.profiles.join(", ")} — ${job.state}${speed}`), bar);
    if (job.state === "queued" || job.state === "running") {
      running = true;
      const stop = text("button", "Cancel");
      stop.onclick = async () => { await send("POST", `/jobs/${job.id}/cancel`, {}); show(current.id); };
      item.append(stop);
    }
    if (job.kind === "export" && job.state === "done") {
      const link = document.createElement("a");
      link.href = `${api}/jobs/${job.id}/output`;
      link.textContent = "download";
      item.append(" ", link);
    }
    if (job.error) item.append(text("p", job.error, "error"));
    list.append(item);
  }
  clearTimeout(timer);
  if (running) timer = setTimeout(() => show(current.id), 1000);
}

async function signIn(event) {
  event.preventDefault();
  const response = await fetch(api + "/session", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ name: $("signin-name").value.trim(), password: $("signin-password").value }),
  });
  $("signin-password").value = "";
  const data = await response.json();
  if (!response.ok) { $("signin-status").textContent = data.detail || response.statusText; return; }
  $("signin-status").textContent = "";
  signedIn(data);
  if (!profilesLoaded) await loadProfiles();
  loadAssets();
}

async function signOut() {
  await fetch(api + "/session", { method: "DELETE", headers: headers() });
  signedOut("");
  $("assets").replaceChildren();
  $("detail-panel").hidden = true;
}

async function upload(event) {
  event.preventDefault();
  const file = $("file").files[0];
  if (!file) return;
  if (!csrf) await session();
  const form = new FormData();
  form.append("file", file);
  if ($("title").value) form.append("title", $("title").value);
  if ($("tags").value) form.append("tags", $("tags").value);
  const chosen = [...$("profiles").querySelectorAll("input:checked")].map((i) => i.value);
  form.append("profiles", chosen.join(","));
  const request = new XMLHttpRequest();
  const bar = $("upload-progress");
  bar.hidden = false;
  request.upload.onprogress = (e) => { if (e.lengthComputable) bar.value = e.loaded / e.total; };
  request.onload = () => {
    bar.hidden = true;
    const body = JSON.parse(request.responseText);
    if (request.status >= 400) { $("upload-status").textContent = body.detail; return; }
    $("upload-status").textContent = body.duplicate ? "already in the catalog" : "uploaded; rendering…";
    loadAssets();
    show(body.id);
  };
  request.open("POST", `${api}/assets`);
  for (const [key, value] of Object.entries(headers())) request.setRequestHeader(key, value);
  request.send(form);
}

async function exportClip(event) {
  event.preventDefault();
  const point = (value) => (value.trim() === "" ? null : isNaN(Number(value)) ? value.trim() : Number(value));
  try {
    await send("POST", `/assets/${current.id}/exports`, {
      profile: $("export-profile").value, start: point($("export-in").value), end: point($("export-out").value),
    });
    show(current.id);
  } catch (error) {
    alert(error.message);
  }
}

$("search").onsubmit = (e) => { e.preventDefault(); loadAssets(); };
$("upload").onsubmit = upload;
$("export").onsubmit = exportClip;
$("signin").onsubmit = signIn;
$("signout").onclick = signOut;
loadProfiles().catch(() => {}).then(loadAssets);
