// A Plotly chart updated in place: every update calls Plotly.react on the same graph, so a zoom
// (layout.uirevision) and a hover label (put back after each redraw) survive while the figure grows. Python sends the whole figure
// once, then only the new points of each trace; a gap (a missed update) asks for the whole figure again.
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

function mount(parentElement) {
  const box = document.createElement("div");
  box.className = "pg-live-chart";
  parentElement.appendChild(box);
  box.pg = { figure: null, revision: 0, dragging: false, stale: false, hover: null };
  // While a zoom box is being dragged, redraws wait: one would cancel the drag
  const release = () => { if (box.pg.dragging) { box.pg.dragging = false; if (box.pg.stale) draw(box); } };
  box.addEventListener("pointerdown", () => { box.pg.dragging = true; });
  window.addEventListener("pointerup", release, true);
  window.addEventListener("mouseup", release, true);
  return box;
}

function draw(box) {
  const state = box.pg;
  state.stale = state.dragging;
  if (state.dragging || !window.Plotly || !state.figure) return;
  window.Plotly.react(box, state.figure.data, state.figure.layout, state.config);
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

export default function ({ data, parentElement, setTriggerValue }) {
  const box = parentElement.querySelector(":scope > .pg-live-chart") || mount(parentElement);
  const state = box.pg;
  box.style.height = `${data.height}px`;
  const parts = data.extend || {};
  if (data.figure) {
    state.figure = typeof data.figure === "string" ? JSON.parse(data.figure) : data.figure;
    keepZoom(box.layout, state.figure.layout, data.uirevision); // box.layout: the layout Plotly drew last
  } else if (!state.figure || !extend(state.figure, parts)) {
    state.figure = null;
    setTriggerValue("resync", true);
    return;
  } else if (!Object.keys(parts).length && box.querySelector(".main-svg")) {
    return; // nothing new: no redraw
  }
  state.figure.layout.uirevision = data.uirevision;
  state.figure.layout.datarevision = ++state.revision;
  state.config = { displaylogo: false, responsive: true };
  loadPlotly(data.plotly).then(() => draw(box));
}
