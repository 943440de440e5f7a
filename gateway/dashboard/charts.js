// The dashboard's charts, drawn by Apache ECharts (served by the gateway from
// gateway/dashboard/node_modules, pinned by package-lock.json). Canvas renderer: it sets
// no style attribute, so the page's Content-Security-Policy needs no 'unsafe-inline'.
// Tooltips are built as DOM nodes with classes, for the same reason.
"use strict";

const Charts = (() => {
  const available = typeof window.echarts !== "undefined";
  const COLORS = { submissions: "#2f6fde", interviews: "#8e44ad", offers: "#e67e22", placements: "#27ae60" };
  const FORWARD = ["sourced", "screened", "submitted", "client_review", "interviewing", "offered", "placed"];
  const DAY = 86400000;
  const instances = {};

  function chart(id) {
    if (!available) return null;
    if (!instances[id]) {
      instances[id] = window.echarts.init(document.getElementById(id), null, { renderer: "canvas" });
    }
    return instances[id];
  }

  // A tooltip as DOM: a title and "label: value" rows, each with its series' colour class.
  function tip(title, rows) {
    const box = document.createElement("div");
    const head = document.createElement("strong");
    head.textContent = title;
    box.append(head);
    for (const [label, value, cls] of rows) {
      const row = document.createElement("div");
      const dot = document.createElement("i");
      dot.className = `dot ${cls || ""}`;
      row.append(dot, `${label}: ${value}`);
      box.append(row);
    }
    return box;
  }

  const tooltip = (formatter, trigger) => ({
    trigger: trigger || "axis",
    className: "rt-tooltip",
    confine: true,
    formatter,
  });

  function hours(h) {
    if (h === null || h === undefined) return "–";
    return h >= 48 ? `${(h / 24).toFixed(1)} d` : `${h.toFixed(1)} h`;
  }

  const grid = { left: 48, right: 16, top: 28, bottom: 28, containLabel: true };

  function funnel(view) {
    const c = chart("chart-funnel");
    if (!c) return;
    const data = FORWARD.map((s) => ({
      name: s.replace("_", " "),
      value: view.funnel.reached[s] || 0,
      now: view.funnel.current[s] || 0,
    }));
    c.setOption({
      tooltip: tooltip((p) => tip(p.name, [["ever reached", p.data.value], ["now", p.data.now]]), "item"),
      series: [{
        type: "funnel", sort: "none", left: 8, right: 8, top: 4, bottom: 4, minSize: "22%",
        gap: 2, label: { position: "inside", formatter: "{b}: {c}", color: "#fff" },
        data,
      }],
    }, true);
  }

  // In days when the longest p90 is two days or more, so the axis reads in whole units.
  function stages(view) {
    const c = chart("chart-stages");
    if (!c) return;
    const names = FORWARD.filter((s) => view.time_in_stage[s]);
    const summary = (s) => view.time_in_stage[s];
    const longest = Math.max(0, ...names.map((s) => summary(s).p90_hours || 0));
    const [unit, suffix] = longest >= 48 ? [24, "d"] : [1, "h"];
    c.setOption({
      grid,
      legend: { top: 0, data: ["p50", "p90"] },
      tooltip: tooltip((ps) => tip(ps[0].name, ps.map((p) => [p.seriesName, hours(p.value * unit), p.seriesName])
        .concat([["finished stays", summary(names[ps[0].dataIndex]).count, ""]]))),
      xAxis: { type: "value", axisLabel: { formatter: `{value} ${suffix}` } },
      yAxis: { type: "category", inverse: true, data: names.map((s) => s.replace("_", " ")) },
      series: ["p50", "p90"].map((p, i) => ({
        name: p, type: "bar", barGap: "10%", color: i ? "#9bb8f0" : "#2f6fde",
        data: names.map((s) => Math.round((100 * summary(s)[`${p}_hours`]) / unit) / 100),
      })),
    }, true);
  }

  // buckets: [{at: Date, counts}] for each of the last 24 hours.
  function activity(buckets, kinds) {
    const c = chart("chart-activity");
    if (!c) return;
    const labels = buckets.map((b) => `${String(b.at.getHours()).padStart(2, "0")}:00`);
    c.setOption({
      grid,
      tooltip: tooltip((ps) => {
        const at = buckets[ps[0].dataIndex].at;
        const until = new Date(at.getTime() + 3600000);
        const title = `${at.toLocaleDateString()} ${ps[0].axisValue}–${String(until.getHours()).padStart(2, "0")}:00`;
        return tip(title, ps.map((p) => [p.seriesName, p.value, p.seriesName]));
      }),
      xAxis: { type: "category", data: labels, axisLabel: { interval: 2 } },
      yAxis: { type: "value", minInterval: 1 },
      series: kinds.map((k) => ({
        name: k, type: "bar", stack: "all", color: COLORS[k],
        data: buckets.map((b) => b.counts[k] || 0),
      })),
    }, true);
  }

  function dayCounts(daily, since, until) {
    const total = {};
    for (const [at, counts] of Object.entries(daily)) {
      const t = Date.parse(at);
      if (t < since || t >= until) continue;
      for (const [k, n] of Object.entries(counts)) total[k] = (total[k] || 0) + n;
    }
    return total;
  }

  // Conversion to date at the end of each of the last weeks (ISO weeks, UTC): of the
  // submissions that ever reached a stage by then, the share that reached the next one.
  // Counts to date, not the week's moves alone: a week's offers may come from earlier
  // weeks' interviews, which would read as more than 100 %.
  function conversions(daily, weeks) {
    const c = chart("chart-conversions");
    if (!c) return;
    const today = new Date();
    const monday = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate())
      - ((today.getUTCDay() + 6) % 7) * DAY;
    const ends = [];
    for (let i = weeks - 1; i >= 0; i--) ends.push(monday - i * 7 * DAY + 7 * DAY);
    const steps = [["submissions", "interviews", "submitted → interviewing"],
      ["interviews", "offers", "interviewing → offered"], ["offers", "placements", "offered → placed"]];
    const counts = ends.map((end) => dayCounts(daily, 0, end));
    const label = (end) => new Date(end - 7 * DAY).toISOString().slice(5, 10);
    c.setOption({
      grid: { ...grid, top: 52 },
      legend: { top: 0 },
      tooltip: tooltip((ps) => tip(`to the end of the week of ${ps[0].axisValue}`, ps.map((p) => {
        const [from, to] = steps[p.seriesIndex];
        const n = counts[p.dataIndex];
        const rate = p.value === null || p.value === undefined ? "–" : `${p.value} %`;
        return [p.seriesName, `${rate} (${n[to] || 0}/${n[from] || 0})`, ""];
      }))),
      xAxis: { type: "category", data: ends.map(label) },
      yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value} %" } },
      series: steps.map(([from, to, name]) => ({
        name, type: "line", connectNulls: true, symbolSize: 7,
        data: counts.map((n) => (n[from] ? Math.round((100 * (n[to] || 0)) / n[from]) : null)),
      })),
    }, true);
  }

  // The last 7 days (today included) against the 7 before, by kind of move.
  function weekOverWeek(daily, kinds) {
    const c = chart("chart-weeks");
    if (!c) return;
    const today = new Date();
    const end = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate()) + DAY;
    const last = dayCounts(daily, end - 7 * DAY, end);
    const before = dayCounts(daily, end - 14 * DAY, end - 7 * DAY);
    const change = (k) => {
      const a = last[k] || 0;
      const b = before[k] || 0;
      if (!b) return a ? "new" : "–";
      const pct = Math.round((100 * (a - b)) / b);
      return `${pct > 0 ? "+" : ""}${pct} %`;
    };
    c.setOption({
      grid: { ...grid, top: 40 },
      legend: { top: 0, data: ["previous 7 days", "last 7 days"] },
      tooltip: tooltip((ps) => tip(ps[0].name, ps.map((p) => [p.seriesName, p.value, ""])
        .concat([["change", change(ps[0].name), ""]]))),
      xAxis: { type: "category", data: kinds, axisLabel: { interval: 0 } },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: "previous 7 days", type: "bar", color: "#c5cbd8", data: kinds.map((k) => before[k] || 0) },
        { name: "last 7 days", type: "bar", color: "#2f6fde", data: kinds.map((k) => last[k] || 0),
          label: { show: true, position: "top", formatter: (p) => change(kinds[p.dataIndex]) } },
      ],
    }, true);
  }

  window.addEventListener("resize", () => Object.values(instances).forEach((c) => c.resize()));

  return {
    available, funnel, stages, activity, conversions, weekOverWeek, hours,
    resize: () => Object.values(instances).forEach((c) => c.resize()),
  };
})();
