// The live panel of the Train page, in one element: the status line and its bar, the last epoch's numbers, and
// rows of Plotly charts, each updated in place. The text is set as text (never as HTML) and changed only where
// it changed. Every update calls Plotly.react on the same graph, so a zoom (layout.uirevision) and a hover label
// (put back after each redraw) survive while a figure grows. A page run sends the panel whole; while the run
// trains, the panel asks its feed (playground/ui/live_feed.py) for news, saying which figures it has, and gets
// only their new points: no Streamlit run, so nothing else on the page is rendered again. A growing chart is
// redrawn as often as its cost allows (DRAW_SHARE), so a slow laptop keeps its cores for training.
const STYLE = `
  .pg-progress {margin: 0 0 0.9rem 0;}
  .pg-progress-text {font-size: 0.875rem; line-height: 1.6; margin-bottom: 0.35rem; overflow-wrap: anywhere;}
  .pg-progress-track {height: 0.5rem; border-radius: 0.25rem; background: #f1f5f9; overflow: hidden;}
  .pg-progress-fill {height: 100%; border-radius: 0.25rem; background: #2563eb;}
  .pg-metrics {display: grid; grid-template-columns: repeat(5, minmax(0, 1fr)); gap: 1rem; margin: 0.2rem 0 0.6rem 0;}
  .pg-metric-label {font-size: 0.875rem; color: #31333f;}
  .pg-metrics > div {container-type: inline-size; min-width: 0;}  /* a value shrinks to its column: 162/1000 on one line at 1024 px */
  .pg-metric-value {font-size: min(1.75em, 24cqi); line-height: 1.3; white-space: nowrap;}
  .pg-metric-delta {display: inline-block; font-size: 0.8rem; padding: 0 0.4rem; border-radius: 0.5rem;}
  .pg-metric-delta:empty {display: none;}
  .pg-metric-delta.good {color: #177233; background: #dcfce7;} .pg-metric-delta.bad {color: #b91c1c; background: #fee2e2;}
`;
if (!document.getElementById("pg-live-style")) {
  document.head.appendChild(Object.assign(document.createElement("style"), { id: "pg-live-style", textContent: STYLE }));
}

// Growing charts take at most this share of the browser's time, all together: after redraws that cost d ms, the
// next ones wait d / DRAW_SHARE ms. The cost counts Plotly's script and the style, layout and paint of the frame
// that shows it. A laptop that redraws the loss and accuracy charts in 15 ms does so at every update, twice a
// second; a slow machine (80–140 ms here, most of it Plotly's fixed cost per redraw) every few seconds, while the
// status line and the numbers still change at every update.
const DRAW_SHARE = 0.03;
const growing = { boxes: new Set(), next: 0, timer: 0 };

function drawGrown(boxes) {
  if (!boxes.length) return;
  boxes.forEach((box) => growing.boxes.add(box));
  const wait = growing.next - performance.now();
  if (wait > 0) {
    growing.timer = growing.timer || setTimeout(drawGrowing, wait);
    return;
  }
  drawGrowing();
}

function drawGrowing() {
  clearTimeout(growing.timer);
  growing.timer = 0;
  const began = performance.now();
  growing.boxes.forEach((box) => box.isConnected && draw(box));
  growing.boxes.clear();
  const scripted = performance.now() - began;
  growing.next = performance.now() + scripted / DRAW_SHARE;
  // The frame that shows the redraw: a task queued from its animation callback runs once it is painted
  requestAnimationFrame(() => {
    const frame = performance.now();
    setTimeout(() => {
      const cost = scripted + performance.now() - frame;
      growing.next = Math.max(growing.next, began + cost / DRAW_SHARE);
    }, 0);
  });
}

function element(tag, className, parent) {
  const el = document.createElement(tag);
  el.className = className;
  return parent ? parent.appendChild(el) : el;
}

function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

// The status line with its bar, and the numbers: built once, then their text changes in place
function head(root, data) {
  let box = root.querySelector(":scope > .pg-live-head");
  if (!data) {
    if (box) box.remove();
    return;
  }
  if (!box) {
    box = element("div", "pg-live-head");
    root.prepend(box);
    const progress = element("div", "pg-progress", box);
    progress.dataset.testid = "pg-progress";
    progress.setAttribute("role", "progressbar");
    progress.setAttribute("aria-valuemin", "0");
    progress.setAttribute("aria-valuemax", "100");
    element("div", "pg-progress-text", progress);
    element("div", "pg-progress-fill", element("div", "pg-progress-track", progress));
    element("div", "pg-metrics", box);
  }
  const progress = box.querySelector(".pg-progress");
  const percent = String(Math.round(100 * Math.min(1, Math.max(0, data.progress.value))));
  setText(progress.querySelector(".pg-progress-text"), data.progress.text);
  progress.setAttribute("aria-valuenow", percent);
  progress.setAttribute("aria-valuetext", data.progress.text);
  progress.querySelector(".pg-progress-fill").style.width = `${percent}%`;
  const grid = box.querySelector(".pg-metrics");
  const cells = data.metrics || [];
  while (grid.children.length > cells.length) grid.lastChild.remove();
  cells.forEach((metric, i) => {
    let cell = grid.children[i];
    if (!cell) {
      cell = element("div", "", grid);
      ["pg-metric-label", "pg-metric-value", "pg-metric-delta"].forEach((name) => element("div", name, cell));
    }
    setText(cell.children[0], metric.label);
    setText(cell.children[1], metric.value);
    setText(cell.children[2], metric.delta || "");
    cell.children[2].className = `pg-metric-delta ${metric.good ? "good" : "bad"}`;
  });
}

function loadPlotly(src) {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!window.__pgPlotly) {
    window.__pgPlotly = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = src;
      script.onload = () => resolve(window.Plotly);
      script.onerror = reject;
      document.head.appendChild(script);
    });
  }
  return window.__pgPlotly;
}

// A chart off the screen (scrolled away, or a page in a background tab) waits to be redrawn until it is seen:
// a class's laptops keep their cores for training. Its first draw always happens, and its points keep growing.
const onScreen = new IntersectionObserver((entries) => {
  for (const entry of entries) {
    entry.target.pg.visible = entry.isIntersecting;
    if (entry.isIntersecting && entry.target.pg.stale) draw(entry.target);
  }
});
document.addEventListener("visibilitychange", () => {
  if (!document.hidden) document.querySelectorAll(".pg-live-chart").forEach((box) => box.pg.stale && draw(box));
});

function chartBox(id) {
  const box = document.createElement("div");
  box.className = "pg-live-chart";
  box.dataset.chart = id;
  box.style.minWidth = "0";
  box.pg = { figure: null, sig: null, revision: 0, dragging: false, stale: false, hover: null, visible: true };
  onScreen.observe(box);
  // While a zoom box is being dragged, redraws wait: one would cancel the drag
  const release = () => { if (box.pg.dragging) { box.pg.dragging = false; if (box.pg.stale) draw(box); } };
  box.addEventListener("pointerdown", () => { box.pg.dragging = true; });
  window.addEventListener("pointerup", release, true);
  window.addEventListener("mouseup", release, true);
  // The row's shape can change under a drawn graph (a chart added beside it): fit the graph to its box
  new ResizeObserver(() => { if (window.Plotly && box.querySelector(".main-svg")) window.Plotly.Plots.resize(box); }).observe(box);
  return box;
}

function draw(box) {
  const state = box.pg;
  const drawn = Boolean(box.querySelector(".main-svg"));
  state.stale = state.dragging || (drawn && (document.hidden || !state.visible));
  if (state.stale || !window.Plotly || !state.figure) return;
  window.Plotly.react(box, state.figure.data, state.figure.layout, { displaylogo: false, responsive: true });
  if (!state.hooked) {
    state.hooked = true;
    box.on("plotly_hover", (e) => { state.hover = e.points.map((p) => ({ curveNumber: p.curveNumber, pointNumber: p.pointNumber })); });
    box.on("plotly_unhover", () => { state.hover = null; });
  } else if (state.hover) {
    // A redraw removes the hover label: put it back on the same points
    try { window.Plotly.Fx.hover(box, state.hover); } catch (e) { state.hover = null; }
  }
}

// Plotly writes a zoom into the layout it drew; a whole new figure (sent when, say, the batch losses are
// thinned) would drop it, uirevision or not, so the zoomed ranges move over to the new layout.
function keepZoom(previous, next, uirevision) {
  if (!previous || previous.uirevision !== uirevision) return;
  for (const axis of ["xaxis", "yaxis"]) {
    const before = previous[axis];
    if (before && before.autorange === false && Array.isArray(before.range)) {
      next[axis] = { ...(next[axis] || {}), range: before.range.slice(), autorange: false };
    }
  }
}

function extend(figure, parts) {
  for (const [i, part] of Object.entries(parts)) {
    const trace = figure.data[Number(i)];
    if (!trace || trace.x.length < part.from) return false;
    trace.x.length = part.from;
    trace.y.length = part.from;
    trace.x.push(...part.x);
    trace.y.push(...part.y);
  }
  return true;
}

const RESYNC = 0, REDRAW = 1, SAME = 2, GROWN = 3;

// Fold one chart's update into its box: REDRAW (a new figure), GROWN (new points), SAME (nothing new), or
// RESYNC (its points do not fit: it asks for the whole figure next time)
function update(box, chart) {
  const state = box.pg;
  box.style.height = `${chart.height}px`;
  const parts = chart.extend || {};
  const drawn = Boolean(box.querySelector(".main-svg"));
  const known = chart.sig === state.sig && Boolean(state.figure); // the same figure, perhaps with more points
  if (chart.figure && chart.fixed && known && drawn) {
    return SAME; // a figure its signature fully names, and this one has it
  } else if (chart.figure) {
    state.figure = typeof chart.figure === "string" ? JSON.parse(chart.figure) : chart.figure;
    state.sig = chart.sig;
    keepZoom(box.layout, state.figure.layout, chart.uirevision); // box.layout: the layout Plotly drew last
  } else if (!state.figure || chart.sig !== state.sig || !extend(state.figure, parts)) {
    state.figure = null;
    state.sig = null;
    return RESYNC;
  } else if (!Object.keys(parts).length && drawn) {
    return SAME;
  }
  state.figure.layout.uirevision = chart.uirevision;
  state.figure.layout.datarevision = ++state.revision;
  // A figure of a new signature is drawn at once; the same one sent whole again (a page run) grows in turn
  return (chart.figure && !known) || !drawn ? REDRAW : GROWN;
}

// What this panel has of each chart: its signature and the points of each trace (the feed sends what is past them)
function have(root) {
  const out = {};
  root.querySelectorAll(".pg-live-chart").forEach((box) => {
    const { figure, sig } = box.pg;
    if (figure && sig) out[box.dataset.chart] = { sig, n: figure.data.map((trace) => (Array.isArray(trace.x) ? trace.x.length : 0)) };
  });
  return out;
}

function layout(root, rows) {
  // One grid row per chart row, its columns in the given proportions; a box keeps its graph by chart id,
  // and the rows are rebuilt only when their shape changes
  const boxes = new Map([...root.querySelectorAll(".pg-live-chart")].map((b) => [b.dataset.chart, b]));
  const shape = JSON.stringify(rows.map((row) => row.map((c) => [c.id, c.width])));
  const placed = rows.flatMap((row) => row.map((chart) => [boxes.get(chart.id) || chartBox(chart.id), chart]));
  if (root.dataset.shape !== shape) {
    root.dataset.shape = shape;
    let i = 0;
    root.replaceChildren(...rows.map((row) => {
      const line = document.createElement("div");
      line.style.cssText = "display:grid;gap:1rem;margin-bottom:0.5rem;" +
        `grid-template-columns:${row.map((c) => `minmax(0,${c.width}fr)`).join(" ")}`;
      row.forEach(() => line.appendChild(placed[i++][0]));
      return line;
    }));
  }
  return placed;
}

// Show one update of the panel (a page run's, or the feed's answer): its head, then its charts
function show(parentElement, data) {
  head(parentElement, data.head);
  const root = parentElement.querySelector(":scope > .pg-live-charts") || parentElement.appendChild(
    Object.assign(document.createElement("div"), { className: "pg-live-charts" }));
  const placed = layout(root, data.rows);
  const outcome = placed.map(([box, chart]) => update(box, chart));
  loadPlotly(data.plotly).then(() => {
    placed.forEach(([box], i) => outcome[i] === REDRAW && draw(box)); // a new figure: at once
    drawGrown(placed.filter((_, i) => outcome[i] === GROWN).map(([box]) => box));
  });
  return root;
}

// While the run trains, ask the feed for news every `every` seconds, each time after the last answer came (a slow
// server is asked less often, never twice at once). A change of status, or a feed that is gone (the page ran again,
// or its session ended), reruns the element's fragment once: that run draws the page as it is now. (Without a feed,
// the fragment polls by its own timer.)
function follow(parentElement, data, root, setTriggerValue) {
  const feed = parentElement.pgFeed || (parentElement.pgFeed = { timer: 0, run: 0 });
  clearTimeout(feed.timer);
  const run = ++feed.run; // a newer page run's data ends this loop
  const plotly = data.plotly;
  const after = (seconds, next) => { feed.timer = setTimeout(() => run === feed.run && next(), seconds * 1000); };
  const rerun = (name) => { feed.run++; setTriggerValue(name, Date.now()); };
  const ask = async () => {
    let answer;
    try {
      const response = await fetch(data.feed, { method: "POST", cache: "no-store", credentials: "same-origin",
        headers: { "Content-Type": "application/json" }, body: JSON.stringify({ have: have(root) }) });
      if (run !== feed.run) return;
      if (response.status === 410) return rerun("changed");
      if (!response.ok) return rerun("changed"); // a feed that cannot answer: the fragment draws the panel afresh
      answer = await response.json();
    } catch (e) {
      if (run === feed.run) after(Math.min(5, 2 * data.every), ask); // no answer (a network blip): ask again, a little later
      return;
    }
    if (run !== feed.run) return;
    show(parentElement, { ...answer, plotly });
    if (answer.changed) return rerun("changed");
    if (answer.every) after(answer.every, ask);
  };
  if (data.every && data.feed) after(data.every, ask);
}

export default function ({ data, parentElement, setTriggerValue }) {
  const root = show(parentElement, data);
  follow(parentElement, data, root, setTriggerValue);
}
