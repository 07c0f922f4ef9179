/* Tablewright canvas: zoom, pan, Fit, minimap, drag to move (saved on drop), culling and level of detail.
 *
 * The server renders the SVG (designer/diagram/svg.py); this script only moves things and asks the server
 * to redraw boxes after edits (the `diagram-changed` event sent by HX-Trigger). Keep HEADER, ROW and
 * connectorPath in step with designer/diagram/geometry.py.
 */
(function () {
  "use strict";
  const HEADER = 34, ROW = 20, GROUP_PAD = 24, GROUP_LABEL = 26;
  const MIN_SCALE = 0.02, MAX_SCALE = 2.5, FAR = 0.4, TINY = 0.12;

  const root = document.getElementById("designer");
  if (!root) return;
  const stage = document.getElementById("stage");
  const slug = root.dataset.slug;
  const canEdit = root.dataset.canEdit === "1";
  const base = root.dataset.baseUrl;
  let svg, viewport;
  const view = { s: 1, x: 0, y: 0 };
  let tables = new Map(); // id -> {el, x, y, w, h, edges: []}
  let edges = []; // {el, src, tgt, srow, trow}
  let groups = []; // {el, members: [], rect}
  let notes = new Map();

  function csrf() {
    try { return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"]; } catch (e) { return ""; }
  }
  function post(url, data) {
    const body = new URLSearchParams(data);
    const headers = { "X-CSRFToken": csrf() };
    const collab = document.getElementById("collab");  // the tab id, so this tab's own layout events are skipped
    if (collab && collab.dataset.tab) headers["X-Tablewright-Tab"] = collab.dataset.tab;
    return fetch(url, { method: "POST", body, headers, credentials: "same-origin" });
  }
  function translateOf(el) {
    const m = /translate\(([-\d.e]+)[ ,]+([-\d.e]+)\)/.exec(el.getAttribute("transform") || "");
    return m ? [parseFloat(m[1]), parseFloat(m[2])] : [0, 0];
  }

  // --- index the DOM -------------------------------------------------------------------------
  function index() {
    svg = document.getElementById("canvas");
    viewport = document.getElementById("viewport");
    tables = new Map();
    svg.querySelectorAll("g.tbl").forEach((el) => {
      const [x, y] = translateOf(el);
      tables.set(el.dataset.id, { el, x, y, w: +el.dataset.w, h: +el.dataset.h, edges: [], culled: false });
    });
    edges = [];
    svg.querySelectorAll("g.edge").forEach((el) => {
      const e = { el, src: el.dataset.src, tgt: el.dataset.tgt, srow: +el.dataset.srcRow, trow: +el.dataset.tgtRow };
      edges.push(e);
      for (const id of [e.src, e.tgt]) if (tables.has(id)) tables.get(id).edges.push(e);
    });
    groups = [];
    svg.querySelectorAll("g.grp").forEach((el) => {
      groups.push({ el, id: el.dataset.id, members: (el.dataset.members || "").split(" ").filter(Boolean) });
    });
    notes = new Map();
    svg.querySelectorAll("g.note").forEach((el) => {
      const [x, y] = translateOf(el);
      const r = el.querySelector("rect");
      notes.set(el.dataset.note, { el, x, y, w: +r.getAttribute("width"), h: +r.getAttribute("height") });
    });
  }

  // --- geometry (same as geometry.py) --------------------------------------------------------
  function connectorPath(a, ai, b, bi) {
    const y1 = a.y + HEADER + ai * ROW + ROW / 2, y2 = b.y + HEADER + bi * ROW + ROW / 2;
    let x1, d1, x2, d2;
    if (b.x >= a.x + a.w) { x1 = a.x + a.w; d1 = 1; x2 = b.x; d2 = -1; }
    else if (a.x >= b.x + b.w) { x1 = a.x; d1 = -1; x2 = b.x + b.w; d2 = 1; }
    else { x1 = a.x + a.w; d1 = 1; x2 = b.x + b.w; d2 = 1; }
    const reach = d1 !== d2 ? Math.max(40, Math.abs(x2 - x1) / 2) : 60 + Math.abs(x2 - x1) / 2;
    const f = (n) => +n.toFixed(2);
    return `M${f(x1)},${f(y1)} C${f(x1 + d1 * reach)},${f(y1)} ${f(x2 + d2 * reach)},${f(y2)} ${f(x2)},${f(y2)}`;
  }
  function redrawEdge(e) {
    const a = tables.get(e.src), b = tables.get(e.tgt);
    if (!a || !b) return;
    const d = connectorPath(a, e.srow, b, e.trow);
    e.el.querySelectorAll("path").forEach((p) => p.setAttribute("d", d));
  }
  function redrawGroup(g) {
    const ms = g.members.map((id) => tables.get(id)).filter(Boolean);
    if (!ms.length) return;
    const x0 = Math.min(...ms.map((t) => t.x)), y0 = Math.min(...ms.map((t) => t.y));
    const x1 = Math.max(...ms.map((t) => t.x + t.w)), y1 = Math.max(...ms.map((t) => t.y + t.h));
    const x = x0 - GROUP_PAD, y = y0 - GROUP_PAD - GROUP_LABEL;
    const rect = g.el.querySelector("rect"), label = g.el.querySelector("text");
    rect.setAttribute("x", x); rect.setAttribute("y", y);
    rect.setAttribute("width", x1 - x0 + 2 * GROUP_PAD); rect.setAttribute("height", y1 - y0 + 2 * GROUP_PAD + GROUP_LABEL);
    label.setAttribute("x", x + 12); label.setAttribute("y", y + 19);
  }
  function placeTable(t, x, y) {
    t.x = x; t.y = y;
    t.el.setAttribute("transform", `translate(${Math.round(x)},${Math.round(y)})`);
    t.edges.forEach(redrawEdge);
  }
  function contentBounds() {
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    const add = (o) => { x0 = Math.min(x0, o.x); y0 = Math.min(y0, o.y); x1 = Math.max(x1, o.x + o.w); y1 = Math.max(y1, o.y + o.h); };
    tables.forEach(add); notes.forEach(add);
    if (x0 === Infinity) return { x: 0, y: 0, w: 800, h: 600 };
    return { x: x0 - 40, y: y0 - 70, w: x1 - x0 + 80, h: y1 - y0 + 110 };
  }

  // --- view: zoom, pan, fit, culling, level of detail, minimap ----------------------------------
  // While the user pans or wheels, only a CSS transform on the <svg> element changes: the compositor moves
  // the already painted layer, so a frame costs the same for 10 or 10,000 boxes. When the gesture ends the
  // change is committed to the viewport's transform and the drawing is culled and repainted once.
  const gesture = { k: 1, tx: 0, ty: 0, active: false, timer: 0 };
  function gestureShow() {
    gesture.active = true;
    svg.style.transform = `translate(${gesture.tx}px,${gesture.ty}px) scale(${gesture.k})`;
  }
  function gestureCommit() {
    clearTimeout(gesture.timer);
    if (!gesture.active) return;
    view.s *= gesture.k; view.x = gesture.k * view.x + gesture.tx; view.y = gesture.k * view.y + gesture.ty;
    gesture.k = 1; gesture.tx = 0; gesture.ty = 0; gesture.active = false;
    svg.style.transform = "";
    apply();
  }
  let frame = 0;
  function apply() {
    viewport.setAttribute("transform", `translate(${view.x.toFixed(1)},${view.y.toFixed(1)}) scale(${view.s.toFixed(4)})`);
    if (!frame) frame = requestAnimationFrame(afterView);
  }
  function afterView() {
    frame = 0;
    svg.classList.toggle("far", view.s < FAR);
    svg.classList.toggle("tiny", view.s < TINY);
    const level = document.getElementById("zoom-level");
    if (level) level.textContent = Math.round(view.s * 100) + "%";
    cull();
    svg.classList.remove("loading");
    drawMinimap();
  }
  function visibleWorld(margin) {
    const r = stage.getBoundingClientRect();
    return { x: (-view.x) / view.s - margin, y: (-view.y) / view.s - margin, w: r.width / view.s + 2 * margin, h: r.height / view.s + 2 * margin };
  }
  function cull() {
    const v = visibleWorld(200);
    const test = (o) => o.x > v.x + v.w || o.x + o.w < v.x || o.y > v.y + v.h || o.y + o.h < v.y;
    for (const t of tables.values()) {
      const out = test(t);
      if (out !== t.culled) { t.culled = out; t.el.classList.toggle("culled", out); }
    }
    for (const e of edges) { // a connector between two off-screen boxes is left out too
      const a = tables.get(e.src), b = tables.get(e.tgt);
      const out = !!(a && b && a.culled && b.culled);
      if (out !== !!e.culled) { e.culled = out; e.el.classList.toggle("culled", out); }
    }
  }
  function wheelZoom(factor, cx, cy) {
    const s = Math.min(MAX_SCALE, Math.max(MIN_SCALE, view.s * gesture.k * factor));
    const f = s / (view.s * gesture.k);
    gesture.k *= f; gesture.tx = cx - (cx - gesture.tx) * f; gesture.ty = cy - (cy - gesture.ty) * f;
    gestureShow();
    clearTimeout(gesture.timer);
    gesture.timer = setTimeout(gestureCommit, 150);
  }
  function zoomAt(factor, cx, cy) {
    gestureCommit();
    const s = Math.min(MAX_SCALE, Math.max(MIN_SCALE, view.s * factor));
    const k = s / view.s;
    view.x = cx - (cx - view.x) * k; view.y = cy - (cy - view.y) * k; view.s = s;
    apply();
  }
  function center() { const r = stage.getBoundingClientRect(); return [r.width / 2, r.height / 2]; }
  function fit() {
    gestureCommit();
    const b = contentBounds(), r = stage.getBoundingClientRect();
    const s = Math.min(MAX_SCALE, Math.max(MIN_SCALE, Math.min(r.width / b.w, r.height / b.h, 1.2)));
    view.s = s; view.x = (r.width - b.w * s) / 2 - b.x * s; view.y = (r.height - b.h * s) / 2 - b.y * s;
    apply();
  }
  function viewCenterWorld(fx, fy) {
    const r = stage.getBoundingClientRect();
    return [Math.round((r.width * fx - view.x) / view.s), Math.round((r.height * fy - view.y) / view.s)];
  }

  const mini = document.getElementById("minimap");
  let miniMap = null;
  function drawMinimap() {
    if (!mini) return;
    const ctx = mini.getContext("2d"), b = contentBounds();
    const s = Math.min(mini.width / b.w, mini.height / b.h);
    miniMap = { b, s };
    const style = getComputedStyle(root);
    ctx.clearRect(0, 0, mini.width, mini.height);
    ctx.fillStyle = style.getPropertyValue("--head") || "#2f6fde";
    for (const t of tables.values()) ctx.fillRect((t.x - b.x) * s, (t.y - b.y) * s, Math.max(1, t.w * s), Math.max(1, t.h * s));
    ctx.fillStyle = "#e6c34a";
    for (const n of notes.values()) ctx.fillRect((n.x - b.x) * s, (n.y - b.y) * s, Math.max(1, n.w * s), Math.max(1, n.h * s));
    const v = visibleWorld(0);
    ctx.strokeStyle = style.getPropertyValue("--sel") || "#e0541b"; ctx.lineWidth = 2;
    ctx.strokeRect((v.x - b.x) * s, (v.y - b.y) * s, v.w * s, v.h * s);
  }
  function miniGo(ev) {
    if (!miniMap) return;
    gestureCommit();
    const r = mini.getBoundingClientRect(), { b, s } = miniMap;
    const wx = (ev.clientX - r.left) / s + b.x, wy = (ev.clientY - r.top) / s + b.y;
    const [cx, cy] = center();
    view.x = cx - wx * view.s; view.y = cy - wy * view.s;
    apply();
  }

  // --- pointer: pan background, drag tables / groups / notes -----------------------------------
  let drag = null;
  function toWorld(ev) {
    const r = stage.getBoundingClientRect();
    return [(ev.clientX - r.left - view.x) / view.s, (ev.clientY - r.top - view.y) / view.s];
  }
  function onDown(ev) {
    if (ev.button !== 0) return;
    gestureCommit();
    const tbl = ev.target.closest("g.tbl"), note = ev.target.closest("g.note");
    const glabel = ev.target.closest("g.grp text.label");
    const [wx, wy] = toWorld(ev);
    if (tbl) {
      const t = tables.get(tbl.dataset.id);
      drag = { kind: "table", t, dx: wx - t.x, dy: wy - t.y, sx: ev.clientX, sy: ev.clientY, moved: false };
    } else if (note) {
      const n = notes.get(note.dataset.note);
      drag = { kind: "note", n, dx: wx - n.x, dy: wy - n.y, sx: ev.clientX, sy: ev.clientY, moved: false };
    } else if (glabel) {
      const g = groups.find((x) => x.el === glabel.closest("g.grp"));
      drag = { kind: "group", g, lx: wx, ly: wy, tx: 0, ty: 0, sx: ev.clientX, sy: ev.clientY, moved: false,
        start: g.members.map((id) => tables.get(id)).filter(Boolean).map((t) => [t, t.x, t.y]) };
    } else {
      gestureCommit();
      drag = { kind: "pan", sx: ev.clientX, sy: ev.clientY, moved: false };
      svg.classList.add("panning");
    }
    svg.setPointerCapture(ev.pointerId);
  }
  function onMove(ev) {
    if (!drag) return;
    if (!drag.moved && Math.hypot(ev.clientX - drag.sx, ev.clientY - drag.sy) < 4) return;
    drag.moved = true;
    if (drag.kind === "pan") {
      gesture.tx = ev.clientX - drag.sx; gesture.ty = ev.clientY - drag.sy; gestureShow(); return;
    }
    if (!canEdit) return;
    const [wx, wy] = toWorld(ev);
    if (drag.kind === "table") {
      placeTable(drag.t, wx - drag.dx, wy - drag.dy);
      groups.forEach((g) => { if (g.members.includes(drag.t.el.dataset.id)) redrawGroup(g); });
    } else if (drag.kind === "note") {
      drag.n.x = wx - drag.dx; drag.n.y = wy - drag.dy;
      drag.n.el.setAttribute("transform", `translate(${Math.round(drag.n.x)},${Math.round(drag.n.y)})`);
    } else if (drag.kind === "group") {
      drag.tx = Math.round(wx - drag.lx); drag.ty = Math.round(wy - drag.ly);
      for (const [t, x, y] of drag.start) placeTable(t, x + drag.tx, y + drag.ty);
      redrawGroup(drag.g);
    }
  }
  function onUp(ev) {
    if (!drag) return;
    const d = drag; drag = null;
    svg.classList.remove("panning");
    if (d.kind === "pan") { gestureCommit(); return; }
    if (!d.moved) {
      if (d.kind === "table") openTable(d.t.el.dataset.id);
      else if (d.kind === "note" || d.kind === "group") openOrganise();
      return;
    }
    if (!canEdit) return;
    if (d.kind === "table") saveTable(d.t);
    else if (d.kind === "note") post(`${base}notes/${d.n.el.dataset.note}/move`, { x: Math.round(d.n.x), y: Math.round(d.n.y) });
    else if (d.kind === "group") post(`${base}groups/${d.g.id}/move`, { dx: d.tx, dy: d.ty });
    drawMinimap();
  }
  function saveTable(t) {
    t.x = Math.round(t.x); t.y = Math.round(t.y);
    return post(`${base}tables/${t.el.dataset.id}/move`, { x: t.x, y: t.y }).then((r) => {
      t.el.dataset.saved = r.ok ? "1" : "0";
      if (!r.ok) r.text().then((m) => alertPanel(m || "The position was not saved."));
    });
  }
  function alertPanel(text) {
    const box = document.getElementById("panel-alert");
    if (box) { box.textContent = ""; const p = document.createElement("p"); p.className = "error"; p.setAttribute("role", "alert"); p.textContent = text; box.appendChild(p); }
  }
  function openTable(id) {
    if (window.htmx) window.htmx.ajax("GET", `${base}tables/${id}/`, { target: "#panel", swap: "innerHTML" });
  }
  function openOrganise() {
    if (window.htmx) window.htmx.ajax("GET", `${base}organise/`, { target: "#panel", swap: "innerHTML" });
  }
  function markSelected() {
    const panel = document.getElementById("table-panel");
    const id = panel ? panel.dataset.tableId : null;
    svg.querySelectorAll("g.tbl.selected").forEach((el) => el.classList.remove("selected"));
    if (id && tables.has(id)) tables.get(id).el.classList.add("selected");
  }

  // --- keyboard ---------------------------------------------------------------------------------
  // On a focused table: Enter/Space opens it, arrows move it (saved). On a focused group label or sticky note:
  // Enter/Space opens Groups and notes (what a click does). Anywhere on the canvas (#stage is focusable):
  // + / - zoom, 0 fits, arrows pan (Shift: a bigger step).
  const PAN = 60;
  function onKey(ev) {
    if (ev.altKey || ev.ctrlKey || ev.metaKey) return;
    const el = ev.target.closest ? ev.target : null;
    const tbl = el && el.closest("g.tbl"), other = el && (el.closest("g.note") || el.closest("g.grp text.label"));
    const activate = ev.key === "Enter" || ev.key === " ";
    if (tbl && activate) { ev.preventDefault(); openTable(tbl.dataset.id); return; }
    if (other && activate) { ev.preventDefault(); openOrganise(); return; }
    const step = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] }[ev.key];
    if (tbl && step) {
      ev.preventDefault();
      if (!canEdit) return;
      const t = tables.get(tbl.dataset.id);
      placeTable(t, t.x + 20 * step[0], t.y + 20 * step[1]);
      groups.forEach((g) => { if (g.members.includes(tbl.dataset.id)) redrawGroup(g); });
      clearTimeout(t.timer); t.timer = setTimeout(() => saveTable(t), 300);
      return;
    }
    if (step) { // pan: the drawing moves the other way, as if the view moved in the arrow's direction
      ev.preventDefault();
      gestureCommit();
      const k = ev.shiftKey ? 4 : 1;
      view.x -= step[0] * PAN * k; view.y -= step[1] * PAN * k;
      apply();
      return;
    }
    if (ev.key === "+" || ev.key === "=") { ev.preventDefault(); zoomAt(1.25, ...center()); }
    else if (ev.key === "-" || ev.key === "_") { ev.preventDefault(); zoomAt(0.8, ...center()); }
    else if (ev.key === "0") { ev.preventDefault(); fit(); }
  }

  // --- bring a table into view (chosen in the list): centre its box, so it is drawn even if it was culled --
  function reveal(id) {
    const t = tables.get(id);
    if (!t) return false;
    gestureCommit();
    const r = stage.getBoundingClientRect();
    const h = Math.min(t.h, (r.height * 0.8) / view.s); // a very tall box: its header near the top
    view.x = r.width / 2 - (t.x + t.w / 2) * view.s;
    view.y = r.height / 2 - (t.y + h / 2) * view.s;
    apply();
    cull(); // now, not at the next frame: the box is displayed at once
    return true;
  }

  // --- redraw after edits (HX-Trigger: diagram-changed) -----------------------------------------
  function diagramUrl(extra) {
    const url = root.dataset.diagramUrl;
    return extra ? url + (url.includes("?") ? "&" : "?") + extra : url;
  }
  function parseSvg(text) {
    return new DOMParser().parseFromString(text, "image/svg+xml").documentElement;
  }
  async function refresh(detail) {
    detail = detail || {};
    const ids = (detail.tables || []).filter(Boolean), removed = detail.removed || [];
    svg.classList.add("loading");
    if (detail.full || (!ids.length && !removed.length)) {
      const fresh = parseSvg(await (await fetch(diagramUrl(""), { credentials: "same-origin" })).text());
      const vp = fresh.querySelector("#viewport");
      viewport.replaceChildren(...Array.from(vp.childNodes).map((n) => document.importNode(n, true)));
    } else {
      removed.forEach((id) => { const el = document.getElementById("t-" + id); if (el) el.remove(); });
      const touched = new Set([...ids, ...removed]);
      edges.forEach((e) => { if (touched.has(e.src) || touched.has(e.tgt)) e.el.remove(); });
      if (ids.length) {
        const fresh = parseSvg(await (await fetch(diagramUrl("tables=" + ids.join(",")), { credentials: "same-origin" })).text());
        const tgroup = document.getElementById("tables"), egroup = document.getElementById("edges");
        fresh.querySelectorAll("g.tbl").forEach((n) => {
          const old = document.getElementById(n.id), node = document.importNode(n, true);
          if (old) old.replaceWith(node); else tgroup.appendChild(node);
        });
        fresh.querySelectorAll("g.edge").forEach((n) => {
          const old = document.getElementById(n.id);
          if (old) old.remove();
          egroup.appendChild(document.importNode(n, true));
        });
      }
    }
    index();
    groups.forEach(redrawGroup);
    markSelected();
    if (detail.fit) fit(); else apply();
    document.dispatchEvent(new CustomEvent("tw:diagram-redrawn"));
  }

  // --- exports: PNG from the standalone SVG ------------------------------------------------------
  async function exportPng(btn) {
    const text = await (await fetch(btn.dataset.svgUrl, { credentials: "same-origin" })).text();
    const doc = parseSvg(text);
    let w = parseFloat(doc.getAttribute("width")), h = parseFloat(doc.getAttribute("height"));
    const k = Math.min(2, 8000 / w, 8000 / h, Math.sqrt(60e6 / (w * h)));
    const url = URL.createObjectURL(new Blob([text], { type: "image/svg+xml" }));
    const img = new Image();
    await new Promise((ok, fail) => { img.onload = ok; img.onerror = fail; img.src = url; });
    const c = document.createElement("canvas");
    c.width = Math.max(1, Math.round(w * k)); c.height = Math.max(1, Math.round(h * k));
    const ctx = c.getContext("2d");
    ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, c.width, c.height);
    ctx.drawImage(img, 0, 0, c.width, c.height);
    URL.revokeObjectURL(url);
    const blob = await new Promise((ok) => c.toBlob(ok, "image/png"));
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob); a.download = btn.dataset.filename || "diagram.png";
    document.body.appendChild(a); a.click(); a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10000);
  }
  function setupExportMenu() {
    const button = document.getElementById("export-button"), menu = document.getElementById("export-menu");
    if (!button || !menu) return;
    const close = () => { menu.hidden = true; button.setAttribute("aria-expanded", "false"); };
    button.addEventListener("click", () => {
      const open = menu.hidden;
      menu.hidden = !open; button.setAttribute("aria-expanded", String(open));
      if (open) { const first = menu.querySelector("a, button"); if (first) first.focus(); }
    });
    menu.addEventListener("keydown", (ev) => { if (ev.key === "Escape") { close(); button.focus(); } });
    document.addEventListener("click", (ev) => { if (!ev.target.closest(".menu")) close(); });
    const png = document.getElementById("export-png");
    if (png) png.addEventListener("click", () => { exportPng(png).catch((e) => alertPanel("PNG export failed: " + e)); close(); });
    menu.querySelectorAll("a").forEach((a) => a.addEventListener("click", close));
  }

  // --- wire up -----------------------------------------------------------------------------------
  function init() {
    index();
    svg.addEventListener("pointerdown", onDown);
    svg.addEventListener("pointermove", onMove);
    svg.addEventListener("pointerup", onUp);
    svg.addEventListener("pointercancel", onUp);
    svg.addEventListener("wheel", (ev) => {
      ev.preventDefault();
      const r = stage.getBoundingClientRect();
      wheelZoom(Math.exp(-ev.deltaY * (ev.deltaMode === 1 ? 0.05 : 0.0015)), ev.clientX - r.left, ev.clientY - r.top);
    }, { passive: false });
    stage.addEventListener("keydown", onKey);
    document.addEventListener("click", (ev) => {
      const pick = ev.target.closest && ev.target.closest("[data-select-table]");
      if (pick && reveal(pick.dataset.selectTable)) {
        const t = tables.get(pick.dataset.selectTable);
        svg.querySelectorAll("g.tbl.selected").forEach((el) => el.classList.remove("selected"));
        t.el.classList.add("selected");
      }
    });
    document.getElementById("zoom-in").addEventListener("click", () => zoomAt(1.25, ...center()));
    document.getElementById("zoom-out").addEventListener("click", () => zoomAt(0.8, ...center()));
    document.getElementById("fit").addEventListener("click", fit);
    if (mini) {
      let down = false;
      mini.addEventListener("pointerdown", (ev) => { down = true; mini.setPointerCapture(ev.pointerId); miniGo(ev); });
      mini.addEventListener("pointermove", (ev) => { if (down) miniGo(ev); });
      mini.addEventListener("pointerup", () => { down = false; });
    }
    document.body.addEventListener("diagram-changed", (ev) => { refresh(ev.detail).catch((e) => alertPanel("Could not redraw the diagram: " + e)); });
    document.body.addEventListener("htmx:afterSwap", (ev) => { if (ev.detail.target && ev.detail.target.id === "panel") markSelected(); });
    document.body.addEventListener("htmx:configRequest", (ev) => {
      const form = ev.detail.elt;
      if (form && (form.id === "add-table" || form.id === "add-note")) {
        const [x, y] = viewCenterWorld(0.3, 0.3);
        const p = ev.detail.parameters;
        if (form.id === "add-table") { p.set ? (p.set("near_x", x), p.set("near_y", y)) : (p.near_x = x, p.near_y = y); }
        else { p.set ? (p.set("x", x), p.set("y", y)) : (p.x = x, p.y = y); }
      }
    });
    window.addEventListener("resize", () => apply());
    setupExportMenu();
    fit();
    markSelected();
    root.dataset.ready = "1";
  }
  init();
  window.tablewright = { view, fit, apply, zoomAt, wheelZoom, gestureCommit, refresh, reveal, tables: () => tables };
})();
