// The page of the video pipeline: a form that posts to /api/videos/{mode} (multipart, files as parts) and a job list
// that follows GET /api/videos. No framework and no build step: this file is served as it is.
"use strict";

const api = "/api/videos";
const keyStorage = "pipeline.apiKey";
const terminal = new Set(["succeeded", "failed", "cancelled"]);

const $ = (selector, root = document) => root.querySelector(selector);
const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];

const form = $("#new-video");
const chosen = []; // images chosen or dropped, in order (@Image1 is the first)
const rows = new Map(); // job id → its <li>
const batchRows = new Map(); // batch id → its <li>
let batchFilter = null; // the batch whose jobs the list shows, or null for every job
let cursor = null;
let fastUntil = 0;
let refreshTimer = 0;

/** Calls the API with the key the user gave (if any); a 401 asks for a key. */
async function call(path, options = {}) {
  const headers = new Headers(options.headers || {});
  const key = localStorage.getItem(keyStorage);
  if (key) headers.set("x-functions-key", key);
  const response = await fetch(path, { ...options, headers });
  if (response.status === 401) {
    $("#key-form").hidden = false;
    $("#api-key").focus();
    throw new Error("The API needs a key.");
  }
  return response;
}

function currentMode() {
  return $("input[name=mode]:checked", form).value;
}

function showMode() {
  const mode = currentMode();
  for (const element of $$("[data-for]")) {
    element.hidden = !element.dataset.for.split(" ").includes(mode);
  }
  $("#files").multiple = true;
  renderFiles();
}

function renderFiles() {
  const list = $("#file-list");
  list.replaceChildren();
  const reference = currentMode() === "reference-to-video";
  const labelled = [
    ...chosen.map((file, i) => [file, reference ? `@Image${i + 1}` : null, i]),
    ...(reference ? [...$("#videos").files].map((file, i) => [file, `@Video${i + 1}`, -1]) : []),
    ...(reference ? [...$("#audios").files].map((file, i) => [file, `@Audio${i + 1}`, -1]) : []),
  ];
  for (const [file, label, index] of labelled) {
    const item = document.createElement("li");
    if (label) {
      const tag = document.createElement("span");
      tag.className = "tag";
      tag.textContent = label;
      item.append(tag, " ");
    }
    item.append(`${file.name} (${formatBytes(file.size)})`);
    if (index >= 0) {
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "link";
      remove.textContent = "Remove";
      remove.setAttribute("aria-label", `Remove ${file.name}`);
      remove.addEventListener("click", () => {
        chosen.splice(index, 1);
        renderFiles();
      });
      item.append(" ", remove);
    }
    list.append(item);
  }
}

function addFiles(files) {
  for (const file of files) chosen.push(file);
  renderFiles();
}

function formatBytes(bytes) {
  return bytes >= 1 << 20 ? `${(bytes / (1 << 20)).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1024))} KB`;
}

/** The fields every request of this form shares (files are added per request). */
function fields() {
  const data = new FormData();
  for (const name of ["prompt", "resolution", "duration", "aspect_ratio", "seed"]) {
    const value = form.elements[name].value.trim();
    if (value) data.append(name, value);
  }
  const variants = form.elements.variants.value.trim();
  if (variants && variants !== "1") data.append("variants", variants);
  data.append("generate_audio", form.elements.generate_audio.checked ? "true" : "false");
  return data;
}

/** One request per job: each image is its own image-to-video job; the other modes make one. */
function requests() {
  const mode = currentMode();
  if (mode === "text-to-video") return [fields()];
  if (mode === "reference-to-video") {
    const data = fields();
    for (const file of chosen) data.append("images[]", file);
    for (const file of $("#videos").files) data.append("videos[]", file);
    for (const file of $("#audios").files) data.append("audios[]", file);
    return [data];
  }
  const endImage = $("#end-image").files[0];
  const images = chosen.length ? chosen : [null];
  return images.map((image) => {
    const data = fields();
    if (image) data.append("image", image);
    if (endImage) data.append("end_image", endImage);
    return data;
  });
}

function clearErrors() {
  for (const element of $$(".error")) element.textContent = "";
  for (const element of $$("[aria-invalid]")) element.removeAttribute("aria-invalid");
}

/** Puts each of the API's field errors next to its field (by the name the form sent); the rest under the button. */
function showErrors(errors, prefix) {
  let first = null;
  for (const [field, messages] of Object.entries(errors || {})) {
    const bare = field.replace(/\[\d+\]$/, "");
    const target = $$("[data-error]").find((e) => e.dataset.error.split(" ").includes(bare)) || $("[data-error='*']");
    const text = messages.map((m) => `${field} ${m}`).join("; ");
    target.textContent = (target.textContent ? target.textContent + " " : "") + (prefix ? `${prefix}: ` : "") + text;
    const input = form.elements[bare] || form.elements[bare.replace("[]", "")];
    if (input instanceof Element) input.setAttribute("aria-invalid", "true");
    first ??= input instanceof Element ? input : target;
  }
  if (first instanceof HTMLElement) first.focus?.();
}

async function submit(event) {
  event.preventDefault();
  clearErrors();
  const status = $("#form-status");
  const button = $("#submit");
  button.disabled = true;
  status.textContent = "Sending…";
  const mode = currentMode();
  let started = 0;
  try {
    const all = requests();
    for (const [i, data] of all.entries()) {
      const response = await call(`${api}/${mode}`, { method: "POST", body: data });
      if (response.ok) {
        const answer = await response.json().catch(() => ({}));
        started += answer.jobs ? answer.jobs.length : 1; // variants: one job each
        continue;
      }
      const problem = await response.json().catch(() => ({}));
      const file = all.length > 1 ? (data.get("image")?.name ?? `request ${i + 1}`) : "";
      if (problem.errors) showErrors(problem.errors, file);
      else $("[data-error='*']").textContent = problem.detail || problem.title || `The API answered ${response.status}.`;
    }
  } catch (error) {
    $("[data-error='*']").textContent = error.message;
  } finally {
    button.disabled = false;
  }
  status.textContent = started ? `Started ${started} job${started > 1 ? "s" : ""}.` : "";
  if (started) {
    chosen.length = 0;
    $("#files").value = "";
    $("#end-image").value = "";
    renderFiles();
    fastUntil = Date.now() + 15000;
    refresh();
  }
}

function title(job) {
  if (job.batch?.kind === "manifest" && job.prompt) return job.prompt; // the row's own words; its place is on the next line
  if (job.source.startsWith("inbox/")) return job.source.slice("inbox/".length);
  return job.prompt || job.id;
}

function elapsed(job) {
  const end = terminal.has(job.status) ? new Date(job.updated_at) : new Date();
  const seconds = Math.max(0, Math.round((end - new Date(job.created_at)) / 1000));
  return seconds >= 60 ? `${Math.floor(seconds / 60)} min ${seconds % 60} s` : `${seconds} s`;
}

/** Where the job belongs: "row 4 of inbox/shop/products.csv", "variant 2 of 3". */
function membership(job) {
  const parts = [];
  if (job.batch?.kind === "manifest") parts.push(`row ${job.batch.row} of ${job.batch.name}`);
  if (job.variant) parts.push(`variant ${job.variant.index} of ${job.variant.of}`);
  return parts.join(" · ");
}

function describe(job) {
  const parts = [job.status];
  if (!terminal.has(job.status) && job.stage) parts.push(job.stage.replaceAll("_", " "));
  if (job.queue_position != null) parts.push(job.queue_position === 0 ? "next at fal" : `${job.queue_position} ahead at fal`);
  parts.push(elapsed(job));
  return parts.join(" · ");
}

/** Creates or updates the job's row in place, so a playing video is never replaced. */
function renderJob(job) {
  let row = rows.get(job.id);
  if (!row) {
    row = document.createElement("li");
    row.className = "job";
    row.dataset.id = job.id;
    row.innerHTML = `<div class="head"><strong class="title"></strong> <span class="mode"></span></div>
      <p class="batch"></p><p class="state"></p><p class="reason"></p><div class="media"></div><div class="actions"></div>`;
    rows.set(job.id, row);
  }
  row.dataset.status = job.status;
  $(".title", row).textContent = title(job);
  $(".mode", row).textContent = job.mode;
  $(".batch", row).textContent = membership(job);
  $(".state", row).textContent = describe(job);
  $(".reason", row).textContent = job.error ? `${job.error.code}: ${job.error.message}` : "";

  const actions = $(".actions", row);
  const cancellable = !terminal.has(job.status);
  let cancel = $("button.cancel", actions);
  if (cancellable && !cancel) {
    cancel = document.createElement("button");
    cancel.type = "button";
    cancel.className = "cancel";
    cancel.textContent = "Cancel";
    cancel.setAttribute("aria-label", `Cancel ${title(job)}`);
    cancel.addEventListener("click", () => cancelJob(job.id, cancel));
    actions.append(cancel);
  } else if (!cancellable && cancel) {
    cancel.remove();
  }

  const media = $(".media", row);
  if (job.status === "succeeded" && job.video && !$("video", media)) {
    const video = document.createElement("video");
    video.controls = true;
    video.preload = "metadata";
    video.playsInline = true;
    video.src = job.video.url;
    video.setAttribute("aria-label", `Video of ${title(job)}`);
    const link = document.createElement("a");
    link.href = job.video.url;
    link.textContent = `Open the video (${job.video.blob})`;
    link.target = "_blank";
    link.rel = "noopener";
    media.append(video, link);
  }
  return row;
}

async function cancelJob(id, button) {
  button.disabled = true;
  try {
    await call(`${api}/${encodeURIComponent(id)}`, { method: "DELETE" });
  } catch (error) {
    $("[data-error='*']").textContent = error.message;
  }
  fastUntil = Date.now() + 15000;
  refresh();
}

/** Creates or updates a batch's line: its name, a progress bar, its counts and a button that lists its jobs. */
function renderBatch(batch) {
  let row = batchRows.get(batch.id);
  if (!row) {
    row = document.createElement("li");
    row.className = "batch-row";
    row.dataset.id = batch.id;
    row.innerHTML = `<div class="head"><strong class="title"></strong> <span class="mode"></span></div>
      <progress></progress><p class="counts"></p>`;
    const show = document.createElement("button");
    show.type = "button";
    show.className = "link show";
    show.textContent = "Show its jobs";
    show.addEventListener("click", () => showBatch(batch.id, batch.name));
    row.append(show);
    batchRows.set(batch.id, row);
  }
  $(".title", row).textContent = batch.name;
  $(".mode", row).textContent = batch.kind;
  const progress = $("progress", row);
  progress.max = Math.max(1, batch.total);
  progress.value = batch.succeeded + batch.failed + batch.cancelled;
  progress.setAttribute("aria-label", `${batch.name}: ${progress.value} of ${batch.total} done`);
  const counts = [`${progress.value} of ${batch.total} done`, `${batch.failed} failed`, `${batch.remaining} remaining`];
  if (batch.refused) counts.push(`${batch.refused} refused`);
  $(".counts", row).textContent = counts.join(" · ");
  $("button.show", row).setAttribute("aria-label", `Show the jobs of ${batch.name}`);
  return row;
}

/** The batches of the jobs on the page: manifests and variants always, a folder once it holds two jobs or more. */
async function refreshBatches(jobs) {
  const seen = new Map();
  for (const job of jobs) {
    if (!job.batch) continue;
    const entry = seen.get(job.batch.id) || { batch: job.batch, count: 0 };
    entry.count++;
    seen.set(job.batch.id, entry);
  }
  const shown = [...seen.values()].filter((e) => e.batch.kind !== "folder" || e.count > 1);
  const list = $("#batches");
  for (const { batch } of shown) {
    const response = await call(`/api/batches/${encodeURIComponent(batch.id)}`);
    if (response.ok) list.append(renderBatch(await response.json()));
  }
  $("#batches-panel").hidden = batchRows.size === 0;
}

/** Lists one batch's jobs instead of the newest jobs. */
function showBatch(id, name) {
  batchFilter = id;
  const filter = $("#batch-filter");
  $("span", filter).textContent = `Showing the jobs of ${name}.`;
  filter.hidden = false;
  $("#older").hidden = true;
  for (const row of rows.values()) row.remove();
  rows.clear();
  refresh();
  $("#all-jobs").focus();
}

function showAll() {
  batchFilter = null;
  $("#batch-filter").hidden = true;
  for (const row of rows.values()) row.remove();
  rows.clear();
  cursor = null;
  refresh();
}

/** Reloads the first page (newest jobs, or the chosen batch's) and schedules the next refresh: fast while anything is moving. */
async function refresh() {
  clearTimeout(refreshTimer);
  let moving = false;
  try {
    const path = batchFilter ? `${api}?limit=100&batch=${encodeURIComponent(batchFilter)}` : `${api}?limit=20`;
    const response = await call(path);
    if (response.ok) {
      const page = await response.json();
      const list = $("#jobs");
      let previous = null;
      for (const job of page.items) {
        const row = renderJob(job);
        const place = previous ? previous.nextElementSibling : list.firstElementChild;
        if (place !== row) list.insertBefore(row, place); // moves only rows out of place
        previous = row;
      }
      moving = page.items.some((job) => !terminal.has(job.status));
      $("#jobs-empty").hidden = rows.size > 0;
      await refreshBatches(page.items);
      if (!batchFilter && cursor === null && page.next_cursor) {
        cursor = page.next_cursor;
        $("#older").hidden = false;
      }
    }
  } catch {
    // The key form or the error line says why; try again on the next tick.
  }
  const fast = moving || Date.now() < fastUntil;
  refreshTimer = setTimeout(refresh, fast ? 1500 : 10000);
}

async function older() {
  if (!cursor) return;
  const response = await call(`${api}?limit=20&cursor=${encodeURIComponent(cursor)}`);
  if (!response.ok) return;
  const page = await response.json();
  for (const job of page.items) $("#jobs").append(renderJob(job));
  cursor = page.next_cursor;
  $("#older").hidden = !cursor;
}

function setUp() {
  const duration = $("#duration");
  for (let s = 4; s <= 15; s++) duration.append(new Option(`${s} s`, String(s)));

  for (const radio of $$("input[name=mode]", form)) radio.addEventListener("change", showMode);
  $("#files").addEventListener("change", (e) => {
    addFiles(e.target.files);
    e.target.value = "";
  });
  $("#videos").addEventListener("change", renderFiles);
  $("#audios").addEventListener("change", renderFiles);

  const drop = $("#drop");
  drop.addEventListener("dragover", (e) => {
    e.preventDefault();
    drop.classList.add("over");
  });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    addFiles([...e.dataTransfer.files].filter((f) => f.type.startsWith("image/")));
  });

  form.addEventListener("submit", submit);
  $("#older").addEventListener("click", older);
  $("#all-jobs").addEventListener("click", showAll);
  $("#key-form").addEventListener("submit", (e) => {
    e.preventDefault();
    localStorage.setItem(keyStorage, $("#api-key").value);
    $("#key-form").hidden = true;
    refresh();
  });

  showMode();
  refresh();
}

setUp();
