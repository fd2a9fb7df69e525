// RlTune dashboard: draws the study list, a study and a trial from the JSON API (docs/dashboard.md)
// with the vendored Chart.js, and polls the API so new trials and progress show without a reload.
"use strict";

const STATE_COLORS = { running: "#1f6feb", complete: "#2da44e", failed: "#cf222e", pruned: "#bf8700", waiting: "#8c959f", stopped: "#57606a" };
const PALETTE = ["#1f6feb", "#d4572a", "#2da44e", "#8250df", "#bf8700", "#0a7ea4", "#cf222e", "#6e7781", "#e85aad", "#57ab5a"];
const view = document.getElementById("view");
const charts = new Map();   // canvas id -> Chart
let timer = null;

// ---------- small helpers ----------
const esc = s => String(s ?? "").replace(/[&<>"']/g, c => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
function num(x, digits = 4) {
  if (x === null || x === undefined || Number.isNaN(x)) return "–";
  if (typeof x !== "number") return esc(x);
  if (x !== 0 && (Math.abs(x) < 1e-3 || Math.abs(x) >= 1e5)) return x.toExponential(2);
  return Number(x.toPrecision(digits)).toString();
}
function duration(s) {
  if (s === null || s === undefined) return "–";
  if (s < 60) return `${s.toFixed(1)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}
function ago(iso) {
  if (!iso) return "–";
  const s = (Date.now() - Date.parse(iso)) / 1000;
  return s < 90 ? `${Math.max(0, Math.round(s))} s ago` : s < 5400 ? `${Math.round(s / 60)} min ago` : s < 172800 ? `${Math.round(s / 3600)} h ago` : new Date(iso).toISOString().slice(0, 16).replace("T", " ");
}
const badge = state => `<span class="badge" style="background:${STATE_COLORS[state] ?? "#6e7781"}">${esc(state ?? "unknown")}</span>`;
const paramText = p => Object.entries(p).map(([k, v]) => `${k}=${typeof v === "number" ? num(v, 3) : Array.isArray(v) ? "[" + v.join(",") + "]" : v}`).join(", ");
const studyUrl = name => `/studies/${encodeURIComponent(name)}`;
const trialUrl = (name, n) => `${studyUrl(name)}/trials/${n}`;
// Replaces an element's content only when it changed, so a refresh does not disturb a hover, a selection or a click.
function setHtml(el, html) {
  if (el && el._html !== html) { el.innerHTML = html; el._html = html; }
}

async function api(path, options) {
  const r = await fetch(path, Object.assign({ headers: { "Accept": "application/json" } }, options));
  const body = await r.json().catch(() => ({ error: `${r.status} ${r.statusText}` }));
  if (!r.ok) throw new Error(body.error ?? `${r.status} ${r.statusText}`);
  return body;
}
async function act(path, body) {
  return api(path, { method: "POST", headers: { "Content-Type": "application/json", "Accept": "application/json" }, body: JSON.stringify(body ?? {}) });
}
function live(ok, text) {
  const el = document.getElementById("live");
  el.className = "live " + (ok ? "ok" : "bad");
  el.textContent = text;
}
// Polls at a fixed cadence: the next poll is due a period after this one started, not after it ended.
function every(seconds, fn) {
  const run = async () => {
    const started = performance.now();
    try {
      await fn();
      live(true, `live · updated ${new Date().toLocaleTimeString()}`);
    } catch (e) {
      live(false, `not updated: ${e.message}`);
    }
    timer = setTimeout(run, Math.max(50, seconds * 1000 - (performance.now() - started)));
  };
  return run();
}

// Creates the chart on first use, then only swaps its data (no animation, so a live refresh does not flicker).
function chart(id, config) {
  const canvas = document.getElementById(id);
  if (!canvas) return;
  let c = charts.get(id);
  if (c && c.canvas !== canvas) { c.destroy(); c = null; }
  if (!c) {
    config.options = Object.assign({ animation: false, responsive: true, maintainAspectRatio: false }, config.options);
    charts.set(id, new Chart(canvas, config));
    return;
  }
  c.data = config.data;
  c.options = Object.assign({ animation: false, responsive: true, maintainAspectRatio: false }, config.options);
  c.update("none");
}
function emptyNote(id, text) {
  const el = document.getElementById(id);
  if (el) { el.textContent = text ?? ""; el.style.display = text ? "" : "none"; }
}

// ---------- study list ----------
async function studyList() {
  document.title = "RlTune studies";
  document.getElementById("crumbs").innerHTML = "";
  view.innerHTML = `<h1>Studies</h1><table id="studies" class="grid"><thead><tr>
    <th>study</th><th>state</th><th>trials done / target</th><th>running</th><th>failed</th><th>best score</th><th>best trial</th><th>started</th><th>elapsed</th><th>budget left</th></tr></thead><tbody></tbody></table>
    <p class="muted">The same store as <code>rltune status</code>. JSON: <a href="/api/studies">/api/studies</a>.</p>`;
  await every(1, async () => {
    const studies = await api("/api/studies");
    setHtml(document.querySelector("#studies tbody"), studies.length === 0
      ? `<tr><td colspan="10" class="muted">No study in this store yet: start one with <code>rltune automl</code>.</td></tr>`
      : studies.map(s => {
        const target = s.target_trials ?? s.trials;
        const pct = target ? Math.min(100, 100 * s.finished / target) : 0;
        return `<tr data-study="${esc(s.name)}">
          <td><a href="${studyUrl(s.name)}">${esc(s.name)}</a></td>
          <td>${badge(s.status)}${s.stop_reason ? `<div class="small muted">${esc(s.stop_reason)}</div>` : ""}</td>
          <td><div class="bar"><div style="width:${pct}%"></div></div>${s.finished} / ${target ?? "?"}</td>
          <td>${s.running}</td><td>${s.failed}</td>
          <td class="num">${num(s.best_score)}${s.best_score_std !== null ? ` ± ${num(s.best_score_std, 2)}` : ""}</td>
          <td>${s.best_trial ?? "–"}</td>
          <td>${ago(s.created_at)}</td><td>${duration(s.elapsed_seconds)}</td>
          <td>${s.budget_left_seconds === null ? "no budget" : duration(s.budget_left_seconds)}</td></tr>`;
      }).join(""));
  });
}

// ---------- study page ----------
const studyState = { sort: { key: "number", dir: 1 }, filter: "", metric: null, completeKey: null, trials: [], detail: null, marked: new Set(), analysing: false, rows: new Map() };

async function studyPage(name) {
  document.title = `${name} · RlTune`;
  document.getElementById("crumbs").innerHTML = `› <a href="${studyUrl(name)}">${esc(name)}</a>`;
  view.innerHTML = `
    <div class="head"><h1>${esc(name)}</h1><div id="summary" class="cards"></div></div>
    <div id="actions" class="actions"></div>
    <section class="card wide"><div class="card-head"><h2>Trials</h2>
      <label>state <select id="state-filter"><option value="">all</option><option>running</option><option>complete</option><option>pruned</option><option>failed</option><option>waiting</option></select></label>
      <span id="trial-count" class="muted"></span></div>
      <div class="scroll"><table id="trials" class="grid"><thead><tr>
        <th data-sort="number">#</th><th data-sort="state">state</th><th data-sort="score">score ± std</th><th data-sort="seeds">seeds</th><th data-sort="device">device</th>
        <th data-sort="stage" title="PBT member and generation, or ASHA/Hyperband rung">stage</th><th data-sort="duration_seconds">duration</th><th data-sort="last_step">step</th><th data-sort="flags">flags</th><th>params</th><th data-sort="error">failure</th></tr></thead><tbody></tbody></table></div></section>
    <div class="charts">
      <section class="card"><h2>Optimization history</h2><div class="chart"><canvas id="chart-history"></canvas></div><p id="history-note" class="muted"></p></section>
      <section class="card"><div class="card-head"><h2>Learning curves</h2><span id="metric-buttons"></span></div><div class="chart"><canvas id="chart-curves"></canvas></div><p id="curves-note" class="muted"></p></section>
      <section class="card"><h2>Importance</h2><div class="chart split"><div><canvas id="chart-importance-category"></canvas></div><div><canvas id="chart-importance"></canvas></div></div><p id="importance-note" class="muted"></p></section>
      <section class="card"><h2>Parallel coordinates</h2><div class="chart"><canvas id="chart-parallel"></canvas></div><p id="parallel-note" class="muted"></p></section>
      <section class="card"><h2>Slices</h2><div id="slices" class="slices"></div><p id="slices-note" class="muted"></p></section>
      <section class="card"><h2>Reward-budget audit</h2><p id="audit-defaults" class="small"></p><div class="chart"><canvas id="chart-audit"></canvas></div><p id="audit-note" class="muted"></p></section>
    </div>`;
  Object.assign(studyState, { sort: { key: "number", dir: 1 }, filter: "", metric: null, completeKey: null, finishedCurves: null, rows: new Map() });
  document.getElementById("state-filter").addEventListener("change", e => { studyState.filter = e.target.value; drawTrials(name); });
  document.querySelectorAll("#trials th[data-sort]").forEach(th => th.addEventListener("click", () => {
    const key = th.dataset.sort;
    studyState.sort = { key, dir: studyState.sort.key === key ? -studyState.sort.dir : 1 };
    drawTrials(name);
  }));
  await every(1, async () => {
    const [detail, trials] = await Promise.all([api(`/api/studies/${encodeURIComponent(name)}`), api(`/api/studies/${encodeURIComponent(name)}/trials`)]);
    studyState.detail = detail;
    studyState.trials = trials;
    studyState.metric ??= detail.curve_metrics.includes("success") ? "success" : detail.curve_metrics[0];
    drawSummary(detail);
    drawActions(name, detail);
    drawTrials(name);
    drawHistory(detail, trials);
    // finished curves, importance, slices, parallel coordinates and the audit change only when a trial ends;
    // the forest behind importance takes a while, so the table's next refresh does not wait for it
    const key = trials.filter(t => t.state !== "running" && t.state !== "waiting").map(t => t.number + t.state).join(",");
    const ended = key !== studyState.completeKey;
    if (ended && !studyState.analysing) {
      studyState.analysing = true;
      Promise.all([api(`/api/studies/${encodeURIComponent(name)}/importance`), api(`/api/studies/${encodeURIComponent(name)}/audit`)])
        .then(([importance, audit]) => {
          studyState.completeKey = key;
          drawImportance(importance);
          drawParallel(detail, trials, importance);
          drawSlices(detail, trials, importance);
          drawAudit(audit);
        })
        .catch(e => live(false, `analysis not updated: ${e.message}`))
        .finally(() => { studyState.analysing = false; });
    }
    await drawCurves(name, detail, ended);
  });
}

function drawSummary(d) {
  const s = d.summary;
  const target = s.target_trials ?? s.trials;
  const cards = [
    ["state", `${badge(s.status)}`, s.stop_reason ?? ""],
    ["trials", `${s.finished} / ${target ?? "?"}`, `${s.complete} complete · ${s.running} running · ${s.failed} failed · ${s.pruned} pruned${s.waiting ? ` · ${s.waiting} waiting` : ""}`],
    ["best score", `${num(s.best_score)}${s.best_score_std !== null ? ` <small>± ${num(s.best_score_std, 2)}</small>` : ""}`, s.best_trial !== null ? `trial ${s.best_trial} · ${s.best_seeds} seed(s) · ${d.objective ?? "score"} (${s.direction})` : "no complete trial yet"],
    ["elapsed", duration(s.elapsed_seconds), s.budget_left_seconds === null ? "no time budget" : `${duration(s.budget_left_seconds)} of the budget left`],
    ["set-up", esc(d.search_method ?? "–"), `env ${d.env} · ${d.seeds_per_trial ?? "?"} seed(s) per trial`],
  ];
  setHtml(document.getElementById("summary"), cards.map(([k, v, sub]) => `<div class="stat"><div class="k">${k}</div><div class="v">${v}</div><div class="small muted">${esc(sub)}</div></div>`).join(""));
}

function drawActions(name, d) {
  const el = document.getElementById("actions");
  if (!d.actions_allowed || el.dataset.drawn) return;
  el.dataset.drawn = "1";
  el.innerHTML = `<button id="stop-study" class="danger">Stop study</button>
    <details><summary>Enqueue a configuration</summary><textarea id="enqueue-params" rows="6" cols="60">${esc(JSON.stringify(d.best_params ?? {}, null, 1))}</textarea><br><button id="enqueue">Enqueue</button></details>
    <span id="action-result" class="small"></span>`;
  const show = (ok, text) => { const r = document.getElementById("action-result"); r.className = "small " + (ok ? "ok" : "bad"); r.textContent = text; };
  document.getElementById("stop-study").onclick = async () => {
    if (!confirm(`Stop study ${name}? Running trials finish; no new one starts.`)) return;
    try { show(true, (await act(`/api/studies/${encodeURIComponent(name)}/stop`)).message); } catch (e) { show(false, e.message); }
  };
  document.getElementById("enqueue").onclick = async () => {
    try { show(true, (await act(`/api/studies/${encodeURIComponent(name)}/enqueue`, { params: JSON.parse(document.getElementById("enqueue-params").value) })).message); } catch (e) { show(false, e.message); }
  };
}

function sortValue(t, key) {
  switch (key) {
    case "seeds": return t.seeds.length;
    case "flags": return t.flags.length;
    case "stage": return t.stage ? (t.stage.pbt_generation ?? t.stage.rung ?? 0) * 10000 + (t.stage.pbt_member ?? 0) : null;   // generation then member, or the rung
    default: return t[key];
  }
}

function drawTrials(name) {
  const { key, dir } = studyState.sort;
  const rows = studyState.trials.filter(t => !studyState.filter || t.state === studyState.filter).slice().sort((a, b) => {
    const x = sortValue(a, key), y = sortValue(b, key);
    if (x === y) return a.number - b.number;
    if (x === null || x === undefined) return 1;   // missing values last either way
    if (y === null || y === undefined) return -1;
    return (x < y ? -1 : 1) * dir;
  });
  document.querySelectorAll("#trials th[data-sort]").forEach(th => th.classList.toggle("sorted", th.dataset.sort === key) || th.removeAttribute("data-dir"));
  const sorted = document.querySelector(`#trials th[data-sort="${key}"]`);
  if (sorted) sorted.dataset.dir = dir > 0 ? "asc" : "desc";
  // a User Timing mark the first time each trial is drawn in each state (how fast the page follows the store)
  for (const t of studyState.trials) {
    const mark = `trial-${t.number}-${t.state}`;
    if (!studyState.marked.has(mark)) { studyState.marked.add(mark); performance.mark(mark); }
  }
  const best = studyState.detail?.summary.best_trial;
  // one row element per trial, kept across refreshes (only a changed row is redrawn; sorting moves rows)
  const tbody = document.querySelector("#trials tbody");
  const rowsByNumber = studyState.rows;
  for (const tr of [...tbody.children]) if (!rows.some(t => String(t.number) === tr.dataset.trial)) tr.remove();
  rows.forEach((t, i) => {
    let tr = rowsByNumber.get(t.number);
    if (!tr) { tr = document.createElement("tr"); tr.dataset.trial = t.number; rowsByNumber.set(t.number, tr); }
    tr.dataset.state = t.state;
    tr.className = t.number === best ? "best" : "";
    setHtml(tr, `<td><a href="${trialUrl(name, t.number)}">${t.number}</a></td>
    <td>${badge(t.state)}</td>
    <td class="num">${num(t.score)}${t.score_std ? ` ± ${num(t.score_std, 2)}` : ""}</td>
    <td>${t.seeds.join(", ") || "–"}</td>
    <td>${esc(t.device ?? "–")}</td>
    <td title="${esc(t.stage?.paused ?? "")}">${esc(t.stage?.text ?? "–")}${t.stage?.paused ? " (paused)" : ""}</td>
    <td class="num">${duration(t.duration_seconds)}</td>
    <td class="num">${t.last_step ?? "–"}</td>
    <td>${t.flags.map(f => `<span class="flag" title="${esc(f.evidence)}">${esc(f.kind)} (seed ${f.seed})</span>`).join(" ")}</td>
    <td class="params">${esc(paramText(t.params))}</td>
    <td class="error">${esc(t.error ?? "")}</td>`);
    if (tbody.children[i] !== tr) tbody.insertBefore(tr, tbody.children[i] ?? null);
  });
  document.getElementById("trial-count").textContent = `${rows.length} of ${studyState.trials.length} shown · click a column to sort`;
}

function drawHistory(detail, trials) {
  const minimize = detail.summary.direction === "minimize";
  const done = trials.filter(t => t.score !== null && t.state === "complete").sort((a, b) => a.number - b.number);
  let best = null;
  const bestLine = done.map(t => {
    best = best === null ? t.score : minimize ? Math.min(best, t.score) : Math.max(best, t.score);
    return { x: t.number, y: best };
  });
  emptyNote("history-note", done.length ? "" : "No complete trial yet.");
  chart("chart-history", {
    type: "scatter",
    data: { datasets: [
      { label: "trial score", data: done.map(t => ({ x: t.number, y: t.score })), backgroundColor: "#1f6feb", pointRadius: 4 },
      { label: "best so far", type: "line", data: bestLine, borderColor: "#d4572a", backgroundColor: "#d4572a", stepped: true, pointRadius: 0, borderWidth: 2 },
    ] },
    options: { scales: { x: { title: { display: true, text: "trial" }, ticks: { precision: 0 } }, y: { title: { display: true, text: `score (${minimize ? "lower" : "higher"} is better)` } } } },
  });
}

// Running trials' curves are fetched every poll; finished ones (which no longer change) only when a trial ends.
async function drawCurves(name, detail, refreshFinished) {
  const buttons = document.getElementById("metric-buttons");
  if (!buttons.dataset.drawn) {
    buttons.dataset.drawn = "1";
    buttons.innerHTML = detail.curve_metrics.map(m => `<button class="chip" data-metric="${esc(m)}">${esc(m)}</button>`).join("");
    buttons.querySelectorAll("button").forEach(b => b.onclick = () => { studyState.metric = b.dataset.metric; drawCurves(name, detail, true); });
  }
  buttons.querySelectorAll("button").forEach(b => b.classList.toggle("on", b.dataset.metric === studyState.metric));
  const url = `/api/studies/${encodeURIComponent(name)}/curves?metric=${encodeURIComponent(studyState.metric)}`;
  if (refreshFinished || !studyState.finishedCurves) studyState.finishedCurves = (await api(url)).curves.filter(c => c.state !== "running");
  const running = (await api(url + "&state=running")).curves;
  // running trials in colour and named; finished ones thin and grey behind them
  const finished = studyState.finishedCurves.filter(c => !running.some(r => r.trial === c.trial)).slice(-40);
  const datasets = finished.map(c => ({ label: `trial ${c.trial} seed ${c.seed}`, data: c.points.map(([x, y]) => ({ x, y })), borderColor: "rgba(110,119,129,0.35)", borderWidth: 1, pointRadius: 0, running: false }))
    .concat(running.map((c, i) => ({ label: `trial ${c.trial} seed ${c.seed} (running)`, data: c.points.map(([x, y]) => ({ x, y })), borderColor: PALETTE[i % PALETTE.length], backgroundColor: PALETTE[i % PALETTE.length], borderWidth: 2.5, pointRadius: 2, running: true })));
  emptyNote("curves-note", datasets.length ? `${running.length} running (coloured), ${finished.length} finished (grey); from the trainers' PROGRESS lines.` : `No PROGRESS values of '${studyState.metric}' yet.`);
  chart("chart-curves", {
    type: "line",
    data: { datasets },
    options: { scales: { x: { type: "linear", title: { display: true, text: "env step" } }, y: { title: { display: true, text: studyState.metric } } },
      plugins: { legend: { labels: { filter: (item, data) => data.datasets[item.datasetIndex]?.running } } } },
  });
}

function categoryColor(categories, c) { return PALETTE[Math.max(0, categories.indexOf(c)) % PALETTE.length]; }

function drawImportance(imp) {
  const note = imp.note ?? imp.caution;
  emptyNote("importance-note", note ? note : `fANOVA over ${imp.used_trials} complete trials; shares sum to 1.`);
  document.getElementById("chart-importance").closest(".chart").style.display = imp.parameters.length ? "" : "none";
  const cats = imp.categories.map(c => c.category);
  const catOf = p => p.category ?? p.section ?? "uncategorized";
  chart("chart-importance-category", {
    type: "bar",
    data: { labels: cats, datasets: [{ label: "by category", data: imp.categories.map(c => c.importance), backgroundColor: cats.map(c => categoryColor(cats, c)) }] },
    options: { indexAxis: "y", plugins: { legend: { display: false }, title: { display: true, text: "by category" } }, scales: { x: { min: 0, max: 1 } } },
  });
  const top = imp.parameters.slice(0, 12);
  chart("chart-importance", {
    type: "bar",
    data: { labels: top.map(p => p.parameter), datasets: [{ label: "importance", data: top.map(p => p.importance), backgroundColor: top.map(p => categoryColor(cats, catOf(p))) }] },
    options: { indexAxis: "y", plugins: { legend: { display: false }, title: { display: true, text: "by parameter (colour: category)" } }, scales: { x: { min: 0 } } },
  });
}

// A parameter value on [0, 1] of its range (log where it is sampled on log), or its index among the values.
function normalizer(spec, values) {
  if (spec?.values) return v => { const i = spec.values.findIndex(x => JSON.stringify(x) === JSON.stringify(v)); return spec.values.length > 1 ? i / (spec.values.length - 1) : 0.5; };
  const nums = values.filter(v => typeof v === "number");
  let lo = spec?.low ?? Math.min(...nums), hi = spec?.high ?? Math.max(...nums);
  const log = spec?.log && lo > 0;
  const f = x => (log ? Math.log(x) : x);
  return v => (typeof v !== "number" ? 0.5 : f(hi) === f(lo) ? 0.5 : (f(v) - f(lo)) / (f(hi) - f(lo)));
}

function scoreColor(t, lo, hi, minimize) {
  const u = hi === lo ? 1 : (t.score - lo) / (hi - lo);
  const good = minimize ? 1 - u : u;   // 1 = best
  return `hsla(${Math.round(20 + 200 * good)}, 75%, 45%, ${0.35 + 0.6 * good})`;
}

// The parameters to draw: by importance once it is known, else those that vary across the complete trials first.
function axes(detail, done, imp, count) {
  if (imp.parameters.length) return imp.parameters.map(p => p.parameter).slice(0, count);
  const names = detail.params.length ? detail.params.map(p => p.name) : Object.keys(done[0]?.params ?? {});
  const varies = n => new Set(done.map(t => JSON.stringify(t.params[n]))).size > 1;
  return names.filter(varies).concat(names.filter(n => !varies(n))).slice(0, count);
}

function drawParallel(detail, trials, imp) {
  const done = trials.filter(t => t.state === "complete" && t.score !== null);
  const names = axes(detail, done, imp, 8);
  emptyNote("parallel-note", done.length ? `Complete trials over ${imp.parameters.length ? `the ${names.length} most important parameters` : `${names.length} parameters (importance needs more trials)`} (each axis its range, log where sampled on log); colour: score, best darkest blue.` : "No complete trial yet.");
  if (!done.length) return chart("chart-parallel", { type: "line", data: { labels: [], datasets: [] }, options: { plugins: { legend: { display: false } } } });
  const specs = Object.fromEntries(detail.params.map(p => [p.name, p]));
  const norm = Object.fromEntries(names.map(n => [n, normalizer(specs[n], done.map(t => t.params[n]))]));
  const scores = done.map(t => t.score), lo = Math.min(...scores), hi = Math.max(...scores);
  const minimize = detail.summary.direction === "minimize";
  const labels = names.concat(["score"]);
  const datasets = done.map(t => ({
    label: `trial ${t.number}`,
    data: names.map(n => norm[n](t.params[n])).concat([hi === lo ? 0.5 : (t.score - lo) / (hi - lo)]),
    raw: names.map(n => t.params[n]).concat([t.score]),
    borderColor: scoreColor(t, lo, hi, minimize), borderWidth: 1.5, pointRadius: 2, tension: 0,
  }));
  chart("chart-parallel", {
    type: "line",
    data: { labels, datasets },
    options: { plugins: { legend: { display: false }, tooltip: { callbacks: { label: c => `${c.dataset.label}: ${labels[c.dataIndex]} = ${num(c.dataset.raw[c.dataIndex])}` } } },
      scales: { y: { min: 0, max: 1, ticks: { callback: v => (v === 0 ? "low" : v === 1 ? "high" : "") } } } },
  });
}

function drawSlices(detail, trials, imp) {
  const done = trials.filter(t => t.state === "complete" && t.score !== null);
  const names = axes(detail, done, imp, 6);
  const holder = document.getElementById("slices");
  emptyNote("slices-note", done.length ? `Score against ${imp.parameters.length ? "each of the most important parameters" : "parameters that vary (importance needs more trials)"}, one point per complete trial.` : "No complete trial yet.");
  if (holder.dataset.names !== names.join(",")) {
    holder.dataset.names = names.join(",");
    holder.innerHTML = names.map((n, i) => `<div class="slice"><canvas id="chart-slice-${i}"></canvas></div>`).join("");
  }
  const specs = Object.fromEntries(detail.params.map(p => [p.name, p]));
  names.forEach((n, i) => {
    const spec = specs[n];
    const indexed = !!spec?.values || done.some(t => typeof t.params[n] !== "number");
    const points = done.map(t => ({ x: indexed ? String(t.params[n]) : t.params[n], y: t.score }));
    // a log axis only where the values span more than a decade (a narrow one has unreadable ticks)
    const xs = points.map(p => p.x).filter(x => typeof x === "number" && x > 0);
    const log = spec?.log && xs.length > 1 && Math.max(...xs) / Math.min(...xs) > 10;
    chart(`chart-slice-${i}`, {
      type: "scatter",
      data: { labels: indexed ? [...new Set(points.map(p => p.x))] : undefined, datasets: [{ label: n, data: points, backgroundColor: PALETTE[i % PALETTE.length], pointRadius: 3 }] },
      options: { plugins: { legend: { display: false }, title: { display: true, text: n } },
        scales: { x: { type: indexed ? "category" : log ? "logarithmic" : "linear", ticks: indexed ? {} : { maxTicksLimit: 4, maxRotation: 0, callback: v => num(v, 2) } }, y: { title: { display: i === 0, text: "score" } } } },
    });
  });
}

function drawAudit(audit) {
  document.getElementById("audit-defaults").textContent = audit.at_defaults ? `At the space's defaults: ${audit.at_defaults}` : "";
  const canvas = document.getElementById("chart-audit");
  canvas.parentElement.style.display = audit.available ? "" : "none";
  if (!audit.available) return emptyNote("audit-note", `Not available: ${audit.reason}.`);
  const failed = audit.trials.filter(t => !t.passed).length;
  emptyNote("audit-note", `${audit.trials.length - failed} of ${audit.trials.length} trials' weights pass (arrival must pay more than the per-step bonuses over an episode); policy: ${audit.policy ?? "–"}.`);
  chart("chart-audit", {
    type: "bar",
    data: { labels: audit.trials.map(t => `${t.number}`), datasets: [
      { label: "arrival pays", data: audit.trials.map(t => t.arrival), backgroundColor: "#2da44e" },
      { label: "per-step bonuses over an episode", data: audit.trials.map(t => t.per_step_per_episode), backgroundColor: audit.trials.map(t => (t.passed ? "#bf8700" : "#cf222e")) },
    ] },
    options: { scales: { x: { title: { display: true, text: "trial (red: fails the audit)" } } } },
  });
}

// ---------- trial page ----------
async function trialPage(name, number) {
  document.title = `${name} trial ${number} · RlTune`;
  document.getElementById("crumbs").innerHTML = `› <a href="${studyUrl(name)}">${esc(name)}</a> › trial ${number}`;
  view.innerHTML = `<div class="head"><h1>Trial ${number}</h1><div id="trial-summary" class="cards"></div></div>
    <div id="trial-actions" class="actions"></div>
    <div class="charts">
      <section class="card"><div class="card-head"><h2>Learning curves</h2><span id="metric-buttons"></span></div><div class="chart"><canvas id="chart-trial-curves"></canvas></div><p id="curves-note" class="muted"></p></section>
      <section class="card"><h2>Parameters</h2><table id="trial-params" class="grid compact"></table></section>
      <section class="card"><h2>Seeds</h2><div class="scroll"><table id="trial-seeds" class="grid compact"></table></div></section>
      <section class="card"><h2>Run directory</h2><ul id="trial-files" class="files"></ul></section>
      <section class="card wide"><h2>Trial config <span id="config-file" class="small muted"></span></h2><pre id="trial-config"></pre></section>
    </div>`;
  let metric = null, detail = null;
  const drawCurve = async () => {
    const set = await api(`/api/studies/${encodeURIComponent(name)}/curves?metric=${encodeURIComponent(metric)}`);
    const mine = set.curves.filter(c => c.trial === number);
    emptyNote("curves-note", mine.length ? `${set.metric} from the trainer's PROGRESS lines, one line per seed.` : `No PROGRESS values of '${set.metric}' for this trial.`);
    chart("chart-trial-curves", {
      type: "line",
      data: { datasets: mine.map((c, i) => ({ label: `seed ${c.seed}`, data: c.points.map(([x, y]) => ({ x, y })), borderColor: PALETTE[i % PALETTE.length], backgroundColor: PALETTE[i % PALETTE.length], pointRadius: 2 })) },
      options: { scales: { x: { type: "linear", title: { display: true, text: "env step" } }, y: { title: { display: true, text: set.metric } } } },
    });
  };
  await every(1, async () => {
    const [d, study] = await Promise.all([api(`/api/studies/${encodeURIComponent(name)}/trials/${number}`), api(`/api/studies/${encodeURIComponent(name)}`)]);
    detail = d;
    const t = d.trial;
    metric ??= study.curve_metrics.includes("success") ? "success" : study.curve_metrics[0];
    const buttons = document.getElementById("metric-buttons");
    if (!buttons.dataset.drawn) {
      buttons.dataset.drawn = "1";
      buttons.innerHTML = study.curve_metrics.map(m => `<button class="chip" data-metric="${esc(m)}">${esc(m)}</button>`).join("");
      buttons.querySelectorAll("button").forEach(b => b.onclick = () => { metric = b.dataset.metric; drawCurve(); });
    }
    buttons.querySelectorAll("button").forEach(b => b.classList.toggle("on", b.dataset.metric === metric));
    const cards = [
      ["state", badge(t.state), t.error ?? t.origin ?? ""],
      ["score", `${num(t.score)}${t.score_std ? ` <small>± ${num(t.score_std, 2)}</small>` : ""}`, `seeds ${t.seeds.join(", ") || "–"}`],
      ["duration", duration(t.duration_seconds), t.state === "running" ? `step ${t.last_step ?? "–"} · heartbeat ${num(t.heartbeat_age_seconds, 2)} s ago` : `ended ${ago(t.ended_at)}`],
      ["device · worker", esc(t.device ?? "–"), t.worker ?? ""],
      ["stage", esc(t.stage?.text ?? "–"), t.stage?.paused ?? ""],
      ["reward-budget audit", d.audit ? (d.audit.passed ? "passes" : "<span class='bad'>fails</span>") : "–", d.audit?.message ?? ""],
    ];
    if (t.flags.length) cards.push(["reward-hacking flags", `<span class="bad">${t.flags.length}</span>`, t.flags.map(f => `${f.kind} (seed ${f.seed}): ${f.evidence}`).join("; ")]);
    setHtml(document.getElementById("trial-summary"), cards.map(([k, v, sub]) => `<div class="stat"><div class="k">${k}</div><div class="v">${v}</div><div class="small muted">${esc(sub)}</div></div>`).join(""));
    setHtml(document.getElementById("trial-params"), Object.entries(t.params).map(([k, v]) => `<tr><td>${esc(k)}</td><td class="num">${esc(typeof v === "number" ? num(v, 6) : JSON.stringify(v))}</td></tr>`).join(""));
    const metricNames = [...new Set(d.seed_runs.flatMap(r => Object.keys(r.metrics)))].sort();
    const seedRow = (label, cell) => `<tr><th>${esc(label)}</th>${d.seed_runs.map(r => `<td class="num">${cell(r)}</td>`).join("")}<td class="num"><b>${esc(label === "score" ? num(t.score) : label in d.metrics ? num(d.metrics[label]) : "")}</b></td></tr>`;
    setHtml(document.getElementById("trial-seeds"), d.seed_runs.length === 0 ? `<tr><td class="muted">no seed has finished yet</td></tr>` :
      `<thead><tr><th></th>${d.seed_runs.map(r => `<th>seed ${r.seed}</th>`).join("")}<th>trial (mean)</th></tr></thead><tbody>` +
      seedRow("score", r => num(r.score)) + metricNames.map(m => seedRow(m, r => num(r.metrics[m]))).join("") +
      `<tr><th>run dir</th>${d.seed_runs.map(r => `<td class="small">${esc(r.run_dir ?? "–")}${r.run_dir && !r.run_dir_served ? " (outside the run root: not served)" : ""}</td>`).join("")}<td></td></tr>` +
      (d.seed_runs.some(r => r.error) ? `<tr><th>error</th>${d.seed_runs.map(r => `<td class="error">${esc(r.error ?? "")}</td>`).join("")}<td></td></tr>` : "") + "</tbody>");
    setHtml(document.getElementById("trial-files"), d.files.length ? d.files.map(f => `<li><a href="/api/studies/${encodeURIComponent(name)}/files?path=${encodeURIComponent(f.path)}">${esc(f.path)}</a> <span class="muted small">${f.bytes} B</span></li>`).join("") : `<li class="muted">no files yet</li>`);
    document.getElementById("config-file").textContent = d.config_file ?? "";
    document.getElementById("trial-config").textContent = d.config ? JSON.stringify(d.config, null, 2) : "no config file yet";
    const actions = document.getElementById("trial-actions");
    if (study.actions_allowed && !actions.dataset.drawn) {
      actions.dataset.drawn = "1";
      actions.innerHTML = `<button id="rerun">Re-run this configuration</button> <span id="action-result" class="small"></span>`;
      document.getElementById("rerun").onclick = async () => {
        const r = document.getElementById("action-result");
        try { r.className = "small ok"; r.textContent = (await act(`/api/studies/${encodeURIComponent(name)}/trials/${number}/rerun`)).message; } catch (e) { r.className = "small bad"; r.textContent = e.message; }
      };
    }
    await drawCurve();
  });
}

// ---------- routing: the path names the view ----------
function route() {
  const parts = location.pathname.split("/").filter(Boolean).map(decodeURIComponent);
  if (parts[0] === "studies" && parts.length === 2) return studyPage(parts[1]);
  if (parts[0] === "studies" && parts[2] === "trials" && parts.length === 4) return trialPage(parts[1], Number(parts[3]));
  return studyList();
}
route().catch(e => { view.innerHTML = `<p class="bad">${esc(e.message)}</p>`; });
