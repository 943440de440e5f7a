// The pipeline dashboard: logs in with the API, then follows /api/v1/analytics/stream.
// EventSource cannot send an Authorization header, so the stream is read with fetch.
"use strict";

const API = "/api/v1";
const STAGES = ["sourced", "screened", "submitted", "client_review", "interviewing",
  "offered", "placed", "rejected", "withdrawn"];
const KINDS = ["submissions", "interviews", "offers", "placements"];
const $ = (id) => document.getElementById(id);

let token = sessionStorage.getItem("rt-token");
let streamAbort = null;

function text(tag, value, cls) {
  const el = document.createElement(tag);
  el.textContent = value;
  if (cls) el.className = cls;
  return el;
}

function hours(h) {
  if (h === null || h === undefined) return "–";
  return h >= 48 ? `${(h / 24).toFixed(1)} d` : `${h.toFixed(1)} h`;
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
  token = (await response.json()).access_token;
  sessionStorage.setItem("rt-token", token);
  start();
}

function logout() {
  if (streamAbort) streamAbort.abort();
  token = null;
  sessionStorage.removeItem("rt-token");
  $("board").hidden = true;
  $("session").hidden = true;
  $("login").hidden = false;
}

function sliceQuery() {
  const kind = $("slice-kind").value;
  const value = $("slice-value").value.trim();
  return kind && value ? `?${encodeURIComponent(kind)}=${encodeURIComponent(value)}` : "";
}

async function start() {
  const me = await fetch(`${API}/me`, { headers: { Authorization: `Bearer ${token}` } });
  if (!me.ok) return logout();
  const who = await me.json();
  $("who").textContent = `${who.username} (${who.role})`;
  $("login").hidden = true;
  $("board").hidden = false;
  $("session").hidden = false;
  follow();
}

// Reads the SSE stream; reconnects after a drop, logs out on 401.
async function follow() {
  if (streamAbort) streamAbort.abort();
  const abort = new AbortController();
  streamAbort = abort;
  let delay = 500;
  while (!abort.signal.aborted) {
    try {
      const response = await fetch(`${API}/analytics/stream${sliceQuery()}`, {
        headers: { Authorization: `Bearer ${token}`, Accept: "text/event-stream" },
        signal: abort.signal,
      });
      if (response.status === 401) return logout();
      if (!response.ok) throw new Error(`stream answered ${response.status}`);
      live(true);
      delay = 500;
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          handle(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
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

function handle(block) {
  let data = null;
  let event = "message";
  for (const line of block.split("\n")) {
    if (line.startsWith("data: ")) data = line.slice(6);
    if (line.startsWith("event: ")) event = line.slice(7);
  }
  if (data === null) return; // a keep-alive comment
  if (event === "expired") {
    // The server ends the stream when the token expires: log in again.
    logout();
    $("login-error").textContent = JSON.parse(data).detail;
    return;
  }
  render(JSON.parse(data));
  $("updated").textContent = `updated ${new Date().toLocaleTimeString()}`;
}

function render(snapshot) {
  asked = new Set();
  const view = snapshot.slice;
  renderFunnel(view);
  renderKpis(view);
  renderActivity(view.activity.hour || {});
  renderLeaderboard(snapshot.leaderboard || {});
  renderAlerts(snapshot.alerts || []);
  renderSources(snapshot.sources || {});
}

function renderFunnel(view) {
  const body = $("funnel").tBodies[0];
  body.replaceChildren();
  const most = Math.max(1, ...STAGES.map((s) => view.funnel.reached[s] || 0));
  for (const stage of STAGES) {
    const row = document.createElement("tr");
    row.append(text("td", stage.replace("_", " ")));
    const now = text("td", String(view.funnel.current[stage] || 0), "num");
    now.id = `funnel-current-${stage}`;
    const reached = text("td", String(view.funnel.reached[stage] || 0), "num");
    reached.id = `funnel-reached-${stage}`;
    const barCell = document.createElement("td");
    const bar = document.createElement("div");
    bar.className = "bar";
    bar.style.width = `${(100 * (view.funnel.reached[stage] || 0)) / most}%`;
    barCell.append(bar);
    row.append(now, reached, barCell);
    body.append(row);
  }
  const conversion = $("conversion");
  conversion.replaceChildren();
  for (const c of view.conversion) {
    const rate = c.rate === null ? "–" : `${(100 * c.rate).toFixed(0)} %`;
    conversion.append(text("li", `${c.from} → ${c.to}: ${rate} (${c.to_count}/${c.from_count})`));
  }
}

function renderKpis(view) {
  const inPipeline = ["sourced", "screened", "submitted", "client_review", "interviewing", "offered"]
    .reduce((n, s) => n + (view.funnel.current[s] || 0), 0);
  const rows = [
    ["In the pipeline", String(inPipeline), "kpi-in-pipeline"],
    ["Placements", String(view.funnel.reached.placed || 0), "kpi-placements"],
    ["Time to submit (p50)", hours(view.time_to_submit.p50_hours), "kpi-time-to-submit"],
    ["Time to fill (p50)", hours(view.time_to_fill.p50_hours), "kpi-time-to-fill"],
    ["Open requisitions", String((view.requisitions || {}).open || 0), "kpi-open"],
  ];
  const list = $("kpis");
  list.replaceChildren();
  for (const [label, value, id] of rows) {
    const dd = text("dd", value);
    dd.id = id;
    list.append(text("dt", label), dd);
  }
}

function renderActivity(hourly) {
  const now = Date.now();
  const start = Math.floor(now / 3600000) * 3600000 - 23 * 3600000;
  const buckets = [];
  for (let i = 0; i < 24; i++) {
    const at = new Date(start + i * 3600000).toISOString().replace(".000Z", "Z");
    buckets.push(hourly[at] || {});
  }
  const totals = Object.fromEntries(KINDS.map((k) => [k, buckets.reduce((n, b) => n + (b[k] || 0), 0)]));
  const strip = $("activity-totals");
  strip.replaceChildren();
  for (const kind of KINDS) {
    const item = text("span", `${kind}: ${totals[kind]}`);
    item.id = `activity-${kind}`;
    strip.append(item);
  }
  const svg = $("activity");
  svg.replaceChildren();
  const most = Math.max(1, ...buckets.map((b) => KINDS.reduce((n, k) => n + (b[k] || 0), 0)));
  buckets.forEach((bucket, i) => {
    let y = 160;
    for (const kind of KINDS) {
      const h = (150 * (bucket[kind] || 0)) / most;
      if (!h) continue;
      const rect = document.createElementNS("http://www.w3.org/2000/svg", "rect");
      rect.setAttribute("x", String(i * 30 + 3));
      rect.setAttribute("width", "24");
      rect.setAttribute("y", String(y - h));
      rect.setAttribute("height", String(h));
      rect.setAttribute("class", kind);
      svg.append(rect);
      y -= h;
    }
  });
}

function mondayOf(day) {
  const d = new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate()));
  d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
  return d.toISOString().slice(0, 10);
}

const names = {};
let asked = new Set(); // labels looked up since the last update from the stream

// The stream carries the leaderboard by recruiter label; names come from the route,
// asked at most once per update for the labels not named yet.
async function refreshNames() {
  const response = await fetch(`${API}/analytics/leaderboard`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  if (!response.ok) return;
  for (const row of (await response.json()).recruiters) names[row.recruiter] = row.name;
}

function renderLeaderboard(board) {
  const week = board[mondayOf(new Date())] || {};
  const rows = Object.entries(week).sort((a, b) =>
    b[1].placements - a[1].placements || b[1].interviews - a[1].interviews
      || b[1].submissions - a[1].submissions);
  const body = $("leaderboard").tBodies[0];
  body.replaceChildren();
  for (const [recruiter, r] of rows) {
    const tr = document.createElement("tr");
    const margin = Object.entries(r.margin || {}).map(([c, v]) => `${v} ${c}`).join(", ") || "–";
    if (!(recruiter in names)) refreshNames().then(() => renderLeaderboard(board));
    const name = text("td", names[recruiter] || recruiter.replace(/^user:/, "").slice(0, 8));
    name.title = recruiter;
    tr.append(name, text("td", String(r.submissions), "num"),
      text("td", String(r.interviews), "num"), text("td", String(r.placements), "num"),
      text("td", margin, "num"));
    body.append(tr);
  }
}

function renderAlerts(alerts) {
  const list = $("alerts");
  list.replaceChildren();
  if (!alerts.length) list.append(text("li", "Nothing overdue.", "muted"));
  for (const a of alerts) {
    const since = new Date(a.since).toLocaleString();
    list.append(text("li", `${a.message} (since ${since})`, "alert"));
  }
}

function renderSources(sources) {
  const body = $("sources").tBodies[0];
  body.replaceChildren();
  for (const [name, s] of Object.entries(sources)) {
    const tr = document.createElement("tr");
    tr.append(text("td", name), text("td", String(s.candidates), "num"),
      text("td", String(s.submitted), "num"), text("td", String(s.interviewed), "num"),
      text("td", String(s.placed), "num"));
    body.append(tr);
  }
}

$("login").addEventListener("submit", login);
$("logout").addEventListener("click", logout);
$("slice").addEventListener("submit", (event) => { event.preventDefault(); follow(); });
if (token) start();
