// The pipeline dashboard: logs in with the API, then follows /api/v1/analytics/stream.
// EventSource cannot send an Authorization header, so the stream is read with fetch.
// The access token is renewed with the refresh token before it expires (and whenever
// the API or the stream says it has), so a wall display stays signed in.
"use strict";

const API = "/api/v1";
const STAGES = ["sourced", "screened", "submitted", "client_review", "interviewing",
  "offered", "placed", "rejected", "withdrawn"];
const KINDS = ["submissions", "interviews", "offers", "placements"];
const ALERT_KINDS = {
  client_review_overdue: "Waiting too long in client review",
  hot_requisition_quiet: "Hot requisitions with no new submission",
};
const ALERTS_PER_PAGE = 5;
const $ = (id) => document.getElementById(id);

let session = JSON.parse(sessionStorage.getItem("rt-session") || "null");
let streamAbort = null;
let refreshTimer = null;
let refreshing = null; // the refresh in flight: a refresh token works once, so one at a time
let lastSnapshot = null;

function text(tag, value, cls) {
  const el = document.createElement(tag);
  el.textContent = value;
  if (cls) el.className = cls;
  return el;
}

// --- session -------------------------------------------------------------------------

function keep(pair) {
  session = {
    access: pair.access_token,
    refresh: pair.refresh_token,
    expiresAt: Date.now() + pair.expires_in * 1000,
    lifetime: pair.expires_in * 1000,
  };
  sessionStorage.setItem("rt-session", JSON.stringify(session));
  schedule();
}

// Renew a little before expiry: a fifth of the lifetime early, at most a minute.
function schedule() {
  clearTimeout(refreshTimer);
  if (!session) return;
  const early = Math.min(60000, session.lifetime / 5);
  refreshTimer = setTimeout(renew, Math.max(1000, session.expiresAt - Date.now() - early));
}

function renew() {
  if (!refreshing) {
    refreshing = (async () => {
      try {
        const response = await fetch(`${API}/auth/refresh`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ refresh_token: session ? session.refresh : "" }),
        });
        if (!response.ok) {
          const problem = await response.json().catch(() => ({}));
          logout(problem.detail || "Your session ended; log in again.");
          return false;
        }
        keep(await response.json());
        return true;
      } catch (err) {
        schedule(); // the network is away: try again later with the same token
        return false;
      } finally {
        refreshing = null;
      }
    })();
  }
  return refreshing;
}

// A call to the API with the access token; renews it once if the API says it expired.
async function api(path, options = {}) {
  for (let attempt = 0; ; attempt++) {
    if (!session) throw new Error("logged out");
    const headers = { ...(options.headers || {}), Authorization: `Bearer ${session.access}` };
    const response = await fetch(`${API}${path}`, { ...options, headers });
    if (response.status !== 401 || attempt > 0) return response;
    if (!(await renew())) return response;
  }
}

async function login(event) {
  event.preventDefault();
  $("login-error").textContent = "";
  const response = await fetch(`${API}/auth/token`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username: $("username").value, password: $("password").value }),
  });
  if (!response.ok) {
    const problem = await response.json().catch(() => ({}));
    $("login-error").textContent = problem.detail || `Login failed (${response.status})`;
    return;
  }
  keep(await response.json());
  start();
}

function logout(why) {
  if (streamAbort) streamAbort.abort();
  clearTimeout(refreshTimer);
  session = null;
  sessionStorage.removeItem("rt-session");
  $("board").hidden = true;
  $("session").hidden = true;
  $("login").hidden = false;
  $("login-error").textContent = typeof why === "string" ? why : "";
}

async function start() {
  const me = await api("/me");
  if (!me.ok) return logout("Your session ended; log in again.");
  const who = await me.json();
  $("who").textContent = `${who.username} (${who.role})`;
  $("login").hidden = true;
  $("board").hidden = false;
  $("session").hidden = false;
  $("charts-missing").hidden = Charts.available;
  schedule();
  loadRecruiterNames();
  loadRequisitionTitles();
  follow();
}

// --- what to narrow to: picked from lists, never typed ------------------------------

async function listAll(path, label) {
  const options = [];
  let cursor = null;
  for (let page = 0; page < 5; page++) { // up to 1000: a pick list, not an export
    const query = `limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
    const response = await api(`${path}?${query}`);
    if (!response.ok) break;
    const body = await response.json();
    options.push(...body.items.map((item) => [item.id, label(item)]));
    cursor = body.next_cursor;
    if (!cursor) break;
  }
  return options.sort((a, b) => a[1].localeCompare(b[1]));
}

async function optionsFor(kind) {
  if (kind === "requisition_id") {
    return listAll("/requisitions", (r) => `${r.title} (${r.status})`);
  }
  if (kind === "client_id") return listAll("/clients", (c) => c.name);
  if (kind === "recruiter") {
    await loadRecruiterNames();
    return Object.entries(names).sort((a, b) => a[1].localeCompare(b[1]));
  }
  if (kind === "source") {
    const response = await api("/analytics/sources");
    if (!response.ok) return [];
    return (await response.json()).items.map((s) => [s.source, s.source.replace("_", " ")]);
  }
  return [];
}

async function pickKind() {
  const kind = $("slice-kind").value;
  const choice = $("slice-value");
  choice.replaceChildren();
  choice.hidden = !kind;
  if (!kind) return follow();
  const options = await optionsFor(kind);
  if (!options.length) choice.append(text("option", "none yet"));
  for (const [value, label] of options) {
    const option = text("option", label);
    option.value = value;
    choice.append(option);
  }
  if (options.length) follow();
}

function sliceQuery() {
  const kind = $("slice-kind").value;
  const value = $("slice-value").value;
  return kind && value && !$("slice-value").hidden
    ? `?${encodeURIComponent(kind)}=${encodeURIComponent(value)}` : "";
}

// --- the stream ----------------------------------------------------------------------

// Reads the SSE stream; reconnects after a drop or an expired token, with a fresh one.
async function follow() {
  if (streamAbort) streamAbort.abort();
  const abort = new AbortController();
  streamAbort = abort;
  let delay = 500;
  while (!abort.signal.aborted && session) {
    try {
      if (session.expiresAt <= Date.now() && !(await renew())) return;
      const response = await fetch(`${API}/analytics/stream${sliceQuery()}`, {
        headers: { Authorization: `Bearer ${session.access}`, Accept: "text/event-stream" },
        signal: abort.signal,
      });
      if (response.status === 401) {
        if (!(await renew())) return;
        continue;
      }
      if (!response.ok) throw new Error(`stream answered ${response.status}`);
      live(true);
      delay = 500;
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      let expired = false;
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          expired = handle(buffer.slice(0, end)) || expired;
          buffer = buffer.slice(end + 2);
        }
      }
      // The server ends a stream when its token expires: go on at once with a fresh one
      // (the timer has usually renewed it already; a refresh token works once, so not twice).
      if (expired) {
        if (session && session.expiresAt - Date.now() > 2000) continue;
        if (await renew()) continue;
      }
    } catch (err) {
      if (abort.signal.aborted) return;
    }
    live(false);
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 10000);
  }
}

function live(on) {
  $("live").textContent = on ? "live" : "reconnecting…";
  $("live").className = on ? "badge on" : "badge";
}

// One server-sent event; true when it says the stream's token expired.
function handle(block) {
  let data = null;
  let event = "message";
  for (const line of block.split("\n")) {
    if (line.startsWith("data: ")) data = line.slice(6);
    if (line.startsWith("event: ")) event = line.slice(7);
  }
  if (data === null) return false; // a keep-alive comment
  if (event === "expired") return true;
  lastSnapshot = JSON.parse(data);
  render(lastSnapshot);
  $("updated").textContent = `updated ${new Date().toLocaleTimeString()}`;
  return false;
}

// --- rendering -----------------------------------------------------------------------

function render(snapshot) {
  const view = snapshot.slice;
  renderFunnel(view);
  renderKpis(view);
  renderActivity(view.activity.hour || {});
  Charts.conversions(view.activity.day || {}, 8);
  Charts.weekOverWeek(view.activity.day || {}, KINDS);
  renderLeaderboard(snapshot.leaderboard || {});
  renderAlerts(snapshot.alerts || []);
  renderSources(snapshot.sources || {});
}

function renderFunnel(view) {
  const body = $("funnel").tBodies[0];
  body.replaceChildren();
  for (const stage of STAGES) {
    const row = document.createElement("tr");
    row.append(text("td", stage.replace("_", " ")));
    const now = text("td", String(view.funnel.current[stage] || 0), "num");
    now.id = `funnel-current-${stage}`;
    const reached = text("td", String(view.funnel.reached[stage] || 0), "num");
    reached.id = `funnel-reached-${stage}`;
    row.append(now, reached);
    body.append(row);
  }
  const conversion = $("conversion");
  conversion.replaceChildren();
  for (const c of view.conversion) {
    const rate = c.rate === null ? "–" : `${(100 * c.rate).toFixed(0)} %`;
    conversion.append(text("li", `${c.from} → ${c.to}: ${rate} (${c.to_count}/${c.from_count})`));
  }
  Charts.funnel(view);
}

function renderKpis(view) {
  const inPipeline = ["sourced", "screened", "submitted", "client_review", "interviewing", "offered"]
    .reduce((n, s) => n + (view.funnel.current[s] || 0), 0);
  const rows = [
    ["In the pipeline", String(inPipeline), "kpi-in-pipeline"],
    ["Placements", String(view.funnel.reached.placed || 0), "kpi-placements"],
    ["Time to submit (p50 / p90)",
      `${Charts.hours(view.time_to_submit.p50_hours)} / ${Charts.hours(view.time_to_submit.p90_hours)}`,
      "kpi-time-to-submit"],
    ["Time to fill (p50 / p90)",
      `${Charts.hours(view.time_to_fill.p50_hours)} / ${Charts.hours(view.time_to_fill.p90_hours)}`,
      "kpi-time-to-fill"],
    ["Open requisitions", String((view.requisitions || {}).open || 0), "kpi-open"],
  ];
  const list = $("kpis");
  list.replaceChildren();
  for (const [label, value, id] of rows) {
    const dd = text("dd", value);
    dd.id = id;
    list.append(text("dt", label), dd);
  }
  Charts.stages(view);
}

function renderActivity(hourly) {
  const now = Date.now();
  const start = Math.floor(now / 3600000) * 3600000 - 23 * 3600000;
  const buckets = [];
  for (let i = 0; i < 24; i++) {
    const at = new Date(start + i * 3600000);
    buckets.push({ at, counts: hourly[at.toISOString().replace(".000Z", "Z")] || {} });
  }
  const strip = $("activity-totals");
  strip.replaceChildren();
  for (const kind of KINDS) {
    const total = buckets.reduce((n, b) => n + (b.counts[kind] || 0), 0);
    const item = text("span", `${kind}: ${total}`, `total ${kind}`);
    item.id = `activity-${kind}`;
    strip.append(item);
  }
  Charts.activity(buckets, KINDS);
}

function mondayOf(day) {
  const d = new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate()));
  d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
  return d.toISOString().slice(0, 10);
}

// The stream carries the leaderboard by recruiter label (`user:<id>`); names come from the
// API. Each label is looked up once: a label the API cannot name (a deleted user, a key)
// keeps a short form of itself instead of being asked for again at every render.
const names = {};
const asked = new Set();

async function loadRecruiterNames() {
  const response = await api("/analytics/recruiters");
  if (!response.ok) return;
  for (const r of (await response.json()).items) {
    names[r.recruiter] = r.name;
    asked.add(r.recruiter);
  }
}

async function lookUpNames(labels) {
  labels.forEach((label) => asked.add(label));
  const response = await api("/analytics/leaderboard");
  if (!response.ok) return;
  for (const row of (await response.json()).recruiters) names[row.recruiter] = row.name;
  if (lastSnapshot) renderLeaderboard(lastSnapshot.leaderboard || {});
}

function shortLabel(label) {
  const [kind, id] = label.includes(":") ? label.split(/:(.*)/s) : ["", label];
  return kind === "user" ? `user ${id.slice(0, 8)}` : `${kind} ${id}`.trim();
}

// This week's; early in a week with nothing yet, last week's, saying so.
function renderLeaderboard(board) {
  const now = new Date();
  const thisWeek = mondayOf(now);
  const lastWeek = mondayOf(new Date(now.getTime() - 7 * 86400000));
  const shown = Object.keys(board[thisWeek] || {}).length || !board[lastWeek] ? thisWeek : lastWeek;
  $("leaderboard-week").textContent = shown === thisWeek ? "this week" : `last week (from ${lastWeek})`;
  const week = board[shown] || {};
  const rows = Object.entries(week).sort((a, b) =>
    b[1].placements - a[1].placements || b[1].interviews - a[1].interviews
      || b[1].submissions - a[1].submissions);
  const unknown = rows.map(([label]) => label).filter((l) => !(l in names) && !asked.has(l));
  if (unknown.length) lookUpNames(unknown);
  const body = $("leaderboard").tBodies[0];
  body.replaceChildren();
  if (!rows.length) {
    const empty = text("td", "No submissions in the last two weeks.", "muted");
    empty.colSpan = 5;
    body.append(document.createElement("tr"));
    body.rows[0].append(empty);
  }
  for (const [recruiter, r] of rows) {
    const tr = document.createElement("tr");
    const margin = Object.entries(r.margin || {}).map(([c, v]) => `${v} ${c}`).join(", ") || "–";
    const name = text("td", names[recruiter] || shortLabel(recruiter));
    name.title = recruiter;
    tr.append(name, text("td", String(r.submissions), "num"),
      text("td", String(r.interviews), "num"), text("td", String(r.placements), "num"),
      text("td", margin, "num"));
    body.append(tr);
  }
}

// Requisition titles, for the alerts (which carry ids); loaded once a session.
const requisitions = {};

async function loadRequisitionTitles() {
  for (const [id, label] of await listAll("/requisitions", (r) => r.title)) requisitions[id] = label;
  if (lastSnapshot) renderAlerts(lastSnapshot.alerts || []);
}

function waited(since) {
  const hours = (Date.now() - Date.parse(since)) / 3600000;
  const long = hours >= 48 ? `${Math.floor(hours / 24)} days` : `${Math.floor(hours)} h`;
  return `for ${long}, since ${new Date(since).toLocaleDateString()}`;
}

// Alerts grouped by kind, each group a page of ALERTS_PER_PAGE with "more": a long list
// stays in its card instead of pushing everything below the fold.
const alertPages = {};

function renderAlerts(alerts) {
  const box = $("alerts");
  const open = new Set([...box.querySelectorAll("details[open]")].map((d) => d.dataset.kind));
  const first = !box.childElementCount;
  box.replaceChildren();
  $("alerts-total").textContent = alerts.length ? String(alerts.length) : "";
  if (!alerts.length) box.append(text("p", "Nothing overdue.", "muted"));
  const groups = {};
  for (const a of alerts) (groups[a.kind] = groups[a.kind] || []).push(a);
  for (const [kind, items] of Object.entries(groups)) {
    items.sort((a, b) => a.since.localeCompare(b.since)); // the longest waiting first
    const group = document.createElement("details");
    group.className = "alert-group";
    group.dataset.kind = kind;
    group.open = first || open.has(kind);
    const summary = document.createElement("summary");
    summary.append(text("span", ALERT_KINDS[kind] || kind.replaceAll("_", " ")),
      text("span", String(items.length), "count"));
    group.append(summary);
    const shown = Math.min(items.length, alertPages[kind] || ALERTS_PER_PAGE);
    const list = document.createElement("ul");
    list.className = "plain";
    for (const a of items.slice(0, shown)) {
      const item = text("li", "", "alert");
      const what = requisitions[a.requisition_id] || "a requisition";
      item.append(text("strong", what), ` · ${waited(a.since)}`);
      item.title = `${a.message} (since ${new Date(a.since).toLocaleString()})`;
      list.append(item);
    }
    group.append(list);
    if (shown < items.length) {
      const more = text("button", `Show ${Math.min(ALERTS_PER_PAGE, items.length - shown)} more of ${items.length - shown}`, "more");
      more.type = "button";
      more.addEventListener("click", () => {
        alertPages[kind] = shown + ALERTS_PER_PAGE;
        renderAlerts(alerts);
      });
      group.append(more);
    }
    box.append(group);
  }
}

function renderSources(sources) {
  const body = $("sources").tBodies[0];
  body.replaceChildren();
  for (const [name, s] of Object.entries(sources)) {
    const tr = document.createElement("tr");
    tr.append(text("td", name.replace("_", " ")), text("td", String(s.candidates), "num"),
      text("td", String(s.submitted), "num"), text("td", String(s.interviewed), "num"),
      text("td", String(s.placed), "num"));
    body.append(tr);
  }
}

$("login").addEventListener("submit", login);
$("logout").addEventListener("click", () => logout());
$("slice").addEventListener("submit", (event) => { event.preventDefault(); follow(); });
$("slice-kind").addEventListener("change", pickKind);
$("slice-value").addEventListener("change", follow);
if (session) start();
