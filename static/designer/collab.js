/* Tablewright live collaboration: the project socket, lock badges, the lock of the open panel, presence.
 *
 * Markup contract (templates/designer/_collab.html, designer.html, panel.html):
 *   #collab[data-ws-path][data-user][data-user-id]   one per page; opens /ws/projects/<id>/
 *   svg g.tbl[data-id] (diagram boxes)                get a "Locked by <user>" text.lock-badge
 *   [data-lock-badge="<table id>"]                    any other badge element
 *   [data-presence]                                   list of people viewing the project
 *   [data-lock-panel][data-table-id][data-revision][data-lock-url][data-renew-url][data-release-url]
 *       [data-force-url][data-refresh-url][data-can-edit][data-can-force]
 *       the open table panel (#table-panel): takes an optimistic lock when free, heartbeats it, releases it
 *       when the panel closes ([data-panel-close]) or is replaced by another table, the page is left or the
 *       tab is closed (sendBeacon) — an optimistic lock only: a pessimistic one ("Lock for restructuring",
 *       [data-lock-restructure] with a reason; [data-lock-release] gives it back) stays until released or
 *       expired. Inside: [data-lock-banner], #lock-errors, fieldset.panel-body (disabled
 *       until this browser holds the lock). Every htmx POST from the panel carries lock_token and
 *       base_revision; answers name the new revision in X-Table-Revision.
 * The tab tells its socket which editor lock it holds ({"event": "holding", "token"}: when it takes one, and
 * whenever the socket opens); when the socket closes the server gives that lock back if still optimistic. That is
 * the sure way a closed tab's lock goes back (the sendBeacon on pagehide is best effort: a tab closed while its
 * page is busy never sends it). After a reconnect, a lock of ours the server no longer lists is taken again.
 * schema.changed from others redraws that table's box (window.tablewright.refresh) and re-fetches the open
 * panel when it shows that table. "Others" means other tabs: every request of this tab carries its id in the
 * X-Tablewright-Tab header (htmx requests and the posts here; #collab[data-tab] for other scripts), the
 * server names it as the event's origin, and only the tab's own events are skipped (so the same user's other
 * tab follows). An optimistic lock belongs to the tab that took it (only it knows the token): the same user's
 * other tab shows the table read-only ("open in another tab of yours") and takes it once it is released.
 * Other components listen for DOM events on document: tw:lock (every lock.* event), tw:schema-changed,
 * tw:presence, tw:deploy.
 */
(function () {
  "use strict";
  var root = document.getElementById("collab");
  if (!root) return;
  // Refusals that carry a re-rendered fragment are swapped in like successes: 422 (validation), 423 (locked),
  // 409 (stale revision, with the current state).
  if (window.htmx && !htmx.config.twCollab) {
    htmx.config.twCollab = true;
    htmx.config.responseHandling = [{code: "409|422|423", swap: true, error: false}].concat(htmx.config.responseHandling);
  }
  var me = root.dataset.user;
  var tab = (window.crypto && crypto.randomUUID) ? crypto.randomUUID()
    : Date.now().toString(36) + "-" + Math.random().toString(36).slice(2);
  root.dataset.tab = tab;  // for other scripts' requests: #collab[data-tab]
  var locks = {};          // table id -> lock event payload + deadline (ms, local clock)
  var people = {};         // conn -> {user}
  var held = null;         // {tableId, token, timer, panel}
  var socket = null, retry = 500, pinger = null;
  var leaving = false;     // the page is going away: take no lock any more

  function csrf() {
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || ""; }
    catch (e) { return ""; }
  }
  function post(url, data) {
    var body = new URLSearchParams(data || {});
    return fetch(url, {method: "POST", body: body, credentials: "same-origin",
                       headers: {"X-CSRFToken": csrf(), "Accept": "application/json", "X-Tablewright-Tab": tab}})
      .then(function (r) { return r.json().catch(function () { return {}; }).then(function (j) { return {status: r.status, data: j}; }); });
  }
  function emit(name, detail) { document.dispatchEvent(new CustomEvent(name, {detail: detail})); }
  function fmt(seconds) {
    seconds = Math.max(0, Math.round(seconds));
    var m = Math.floor(seconds / 60), s = seconds % 60;
    return m + ":" + (s < 10 ? "0" : "") + s;
  }

  /* --- locks ---------------------------------------------------------------------------------------- */
  // Applying an event twice changes nothing (on connect, one may arrive in sync and again as an event): a copy
  // of the lock we already know with an earlier expiry (a replayed, older lock.acquired) keeps the later one.
  function remember(ev) {
    ev.deadline = Date.now() + (ev.ttl || 0) * 1000;
    var known = locks[ev.table_id];
    if (known && known.holder === ev.holder && known.lock_type === ev.lock_type && known.expires_at && ev.expires_at &&
        known.expires_at > ev.expires_at) ev.deadline = known.deadline;
    locks[ev.table_id] = ev;
  }
  // A lock whose release or expiry we never heard of (the socket was down) must not stay on screen as
  // "frees in 0:00": a few seconds past its deadline it is dropped, and an open panel on that table tries to
  // take it (the server answers who holds it if it is not free after all).
  var STALE_MS = 5000;
  function forgetStale() {
    var now = Date.now(), gone = false, p = panel();
    Object.keys(locks).forEach(function (id) {
      if (held && held.tableId === id) return;  // ours: the heartbeat keeps it or finds it lost
      if (locks[id].deadline + STALE_MS < now) { delete locks[id]; gone = true; }
    });
    if (!gone) return;
    paintBadges();
    if (p && !held && !locks[p.dataset.tableId]) acquire(p);
  }
  var SVGNS = "http://www.w3.org/2000/svg";
  function boxBadges() {  // one text.lock-badge per diagram box (boxes are redrawn by diagram.js)
    document.querySelectorAll("svg g.tbl[data-id]").forEach(function (box) {
      if (box.querySelector(":scope > .lock-badge")) return;
      var rect = box.querySelector("rect.box");
      var t = document.createElementNS(SVGNS, "text");
      t.setAttribute("class", "lock-badge");
      t.setAttribute("x", rect ? rect.getAttribute("width") : "0");
      t.setAttribute("y", "-6");
      t.setAttribute("text-anchor", "end");
      t.dataset.lockBadge = box.dataset.id;
      box.appendChild(t);
    });
  }
  function kindOf(lock) {  // how others see what the lock is for
    return lock.lock_type === "pessimistic" ? "restructuring" : lock.lock_type === "critical" ? "deploy" : "";
  }
  var badgesQueued = false;
  function paintBadges() {  // once per burst of events (a deploy locks hundreds of tables at once), not per event
    if (badgesQueued) return;
    badgesQueued = true;
    setTimeout(function () { badgesQueued = false; paintBadgesNow(); }, 0);
  }
  function paintBadgesNow() {
    boxBadges();
    document.querySelectorAll("[data-lock-badge]").forEach(function (badge) {
      var lock = locks[badge.dataset.lockBadge];
      badge.classList.toggle("locked", !!lock);
      badge.classList.toggle("mine", !!lock && lock.holder === me);
      if (lock) badge.dataset.holder = lock.holder; else delete badge.dataset.holder;
      badge.textContent = !lock ? "" : lock.holder === me ? "Editing (you)"
        : "Locked by " + lock.holder + (kindOf(lock) ? " (" + kindOf(lock) + ")" : "");
    });
  }
  function panel() { return document.querySelector("[data-lock-panel]"); }
  function setEditable(p, editable, token) {
    var fieldset = p.querySelector("[data-lock-fieldset], fieldset.panel-body");
    if (fieldset) fieldset.disabled = !editable;
    p.dataset.readonly = editable ? "0" : "1";
    p.querySelectorAll("input[name=lock_token]").forEach(function (i) { i.value = editable ? token : ""; });
  }
  function paintPanel() {
    var p = panel();
    if (!p) return;
    var banner = p.querySelector("[data-lock-banner]");
    var id = p.dataset.tableId, lock = locks[id];
    var force = p.querySelector("[data-lock-force]");
    if (force) force.hidden = !(lock && lock.holder !== me && p.dataset.canForce === "1" && !(held && held.tableId === id));
    var mineHere = !!(held && held.tableId === id);
    var restructure = p.querySelector("[data-lock-restructure]"), giveBack = p.querySelector("[data-lock-release]");
    if (restructure) restructure.hidden = !(mineHere && held.lockType === "optimistic");
    if (giveBack) giveBack.hidden = !(mineHere && held.lockType === "pessimistic");
    if (mineHere && held.lockType === "pessimistic") {
      banner.textContent = "You are editing this table under a restructuring lock" + (lock && lock.reason ? " (" + lock.reason + ")" : "") +
        ". It stays when you close the panel" + (lock ? " · frees in " + fmt((lock.deadline - Date.now()) / 1000) : "") + ".";
      banner.className = "lock-banner mine";
    } else if (mineHere) {
      banner.textContent = "You are editing this table. Others see it as locked by you.";
      banner.className = "lock-banner mine";
    } else if (lock) {
      var left = (lock.deadline - Date.now()) / 1000;
      banner.textContent = (lock.holder === me ? "Open for editing in another tab of yours" : "Locked by " + lock.holder) +
        (kindOf(lock) === "restructuring" ? " for restructuring" : kindOf(lock) === "deploy" ? " for a deploy" : "") +
        " · read only · frees in " + fmt(left) + (lock.reason ? " · " + lock.reason : "");
      banner.className = "lock-banner locked";
    } else if (p.dataset.canEdit !== "1") {
      banner.textContent = "Read only: your role cannot change this project.";
      banner.className = "lock-banner";
    } else {
      banner.textContent = "Free";
      banner.className = "lock-banner";
    }
  }
  setInterval(function () { forgetStale(); paintPanel(); }, 1000);  // the countdown

  var lastToken = {};  // table id -> the token this tab last held there (proves a lock still is this tab's)
  function acquire(p) {
    if (leaving || p.dataset.canEdit !== "1" || p.dataset.acquiring === "1") return;
    p.dataset.acquiring = "1";
    var mine = lastToken[p.dataset.tableId];
    post(p.dataset.lockUrl, mine ? {lock_token: mine} : {}).then(function (r) {
      delete p.dataset.acquiring;
      if (!document.body.contains(p)) {           // closed while we waited: give it straight back
        if (r.status === 200 && r.data.lock_type === "optimistic") post(p.dataset.releaseUrl, {lock_token: r.data.token});
        return;
      }
      if (held && held.tableId === p.dataset.tableId) return;  // taken meanwhile (Break lock takes it too)
      if (r.status === 200) {
        remember(r.data);
        hold(p, r.data);
      } else if (r.status === 423 && r.data.holder) {
        var ttl = r.data.expires_at ? (Date.parse(r.data.expires_at) - Date.now()) / 1000 : 0;
        remember({event: "lock.acquired", table_id: p.dataset.tableId, holder: r.data.holder, ttl: ttl,
                  expires_at: r.data.expires_at,
                  lock_type: r.data.holder === me ? "optimistic" : undefined});  // mine elsewhere: another tab's
        setEditable(p, false);
      } else {
        setEditable(p, false);
      }
      paintBadges(); paintPanel();
    });
  }
  function hold(p, lock) {
    drop(false);
    var every = Math.max(5, Math.floor((lock.ttl || 120) / 3)) * 1000;
    lastToken[p.dataset.tableId] = lock.token;
    held = {tableId: p.dataset.tableId, token: lock.token, panel: p, lockType: lock.lock_type || "optimistic",
            renewUrl: p.dataset.renewUrl, releaseUrl: p.dataset.releaseUrl,
            timer: setInterval(heartbeat, every)};
    setEditable(p, true, lock.token);
    tellHolding();
  }
  // The server releases this lock when the socket closes (the tab is gone), whether or not the beacon went out.
  function tellHolding() {
    if (held && socket && socket.readyState === 1) socket.send(JSON.stringify({event: "holding", token: held.token}));
  }
  function heartbeat() {
    if (!held) return;
    var h = held;
    post(h.renewUrl, {lock_token: h.token}).then(function (r) {
      if (held !== h) return;
      if (r.status === 200) { remember(r.data); }
      else { lost(r.data.error || "Your lock is gone."); }
    });
  }
  function lost(message) {
    var p = held ? held.panel : panel();
    drop(false);
    if (p && document.body.contains(p)) {
      setEditable(p, false);
      var errors = p.querySelector("#lock-errors");
      if (errors) {
        var line = document.createElement("p");
        line.className = "error";
        line.textContent = message;
        errors.replaceChildren(line);
      }
    }
    paintBadges(); paintPanel();
  }
  function drop(release) {  // release: give back an optimistic lock (a pessimistic one stays until released)
    if (!held) return;
    clearInterval(held.timer);
    if (release && held.lockType === "optimistic") {
      var data = new FormData();
      data.append("lock_token", held.token);
      data.append("csrfmiddlewaretoken", csrf());
      if (!(navigator.sendBeacon && navigator.sendBeacon(held.releaseUrl, data))) {
        fetch(held.releaseUrl, {method: "POST", body: data, credentials: "same-origin", keepalive: true});
      }
      delete locks[held.tableId];
    }
    held = null;
  }

  /* An open panel: take (or keep) its lock. A panel re-rendered after a save keeps the lock it had. */
  function adopt() {
    var p = panel();
    if (held && (!p || p.dataset.tableId !== held.tableId)) { drop(true); paintBadges(); }
    if (!p) return;
    if (held && held.tableId === p.dataset.tableId) {
      held.panel = p;
      setEditable(p, true, held.token);
    } else {
      setEditable(p, false);
      var lock = locks[p.dataset.tableId];
      if (!lock || (lock.holder === me && (lock.lock_type !== "optimistic" || lastToken[p.dataset.tableId]))) acquire(p);
    }
    paintPanel();
  }
  document.addEventListener("click", function (e) {
    var close = e.target.closest("[data-panel-close]");
    if (!close) return;
    var p = close.closest("[data-lock-panel]");
    if (p) p.remove();
    adopt();
    if (window.tablewright) window.tablewright.refresh({tables: []}).catch(function () {});
  });
  document.addEventListener("click", function (e) {
    var force = e.target.closest("[data-lock-force]");
    if (!force) return;
    var p = force.closest("[data-lock-panel]");
    var lock = locks[p.dataset.tableId];
    if (!lock || !window.confirm("Break " + lock.holder + "'s lock? Their unsaved changes in this table will be refused.")) return;
    post(p.dataset.forceUrl, {reason: "broken by " + me + " from the table panel", take: "1"}).then(function (r) {
      if (r.status === 200 && r.data.lock && document.body.contains(p)) {
        remember(r.data.lock);
        hold(p, r.data.lock);
        paintBadges(); paintPanel();
      } else if (r.status !== 200) {
        lost((r.data.errors && r.data.errors.lock && r.data.errors.lock[0]) || "Could not break the lock.");
      }
    });
  });
  // "Lock for restructuring": a pessimistic lock with a reason (refused with the reason beside the input).
  document.addEventListener("submit", function (e) {
    var form = e.target.closest && e.target.closest("[data-lock-restructure]");
    if (!form) return;
    e.preventDefault();
    var p = form.closest("[data-lock-panel]"), input = form.elements.reason;
    var error = form.querySelector("[data-lock-reason-error]");
    var data = {lock_type: "pessimistic", reason: input.value};
    if (held && held.tableId === p.dataset.tableId) data.lock_token = held.token;
    post(p.dataset.lockUrl, data).then(function (r) {
      if (!document.body.contains(p)) return;
      if (r.status === 200) {
        error.textContent = ""; input.removeAttribute("aria-invalid"); input.value = "";
        remember(r.data);
        hold(p, r.data);
      } else if (r.status === 422) {
        var errors = r.data.errors || {};
        error.textContent = (errors.reason || errors.lock_type || ["This lock was refused."])[0];
        input.setAttribute("aria-invalid", "true");
      } else {
        lost(r.data.error || "The table could not be locked.");
      }
      paintBadges(); paintPanel();
    });
  });
  document.addEventListener("click", function (e) {
    var btn = e.target.closest("[data-lock-release]");
    if (!btn) return;
    var p = btn.closest("[data-lock-panel]"), h = held;
    if (!h || h.tableId !== p.dataset.tableId) return;
    post(h.releaseUrl, {lock_token: h.token}).then(function () {
      if (held === h) { drop(false); delete locks[p.dataset.tableId]; }
      if (document.body.contains(p) && !held) acquire(p);  // go on editing under a short (optimistic) lock
      paintBadges(); paintPanel();
    });
  });
  // Every write from the panel carries the lock token and the revision the panel shows.
  document.addEventListener("htmx:configRequest", function (e) {
    e.detail.headers["X-Tablewright-Tab"] = tab;  // every htmx request names this tab (the origin of its events)
    var elt = e.detail.elt, p = elt && elt.closest && elt.closest("[data-lock-panel]");
    if (!p || e.detail.verb === "get") return;
    var params = e.detail.parameters, put = function (k, v) { if (params.set) params.set(k, v); else params[k] = v; };
    if (held && held.tableId === p.dataset.tableId) put("lock_token", held.token);
    put("base_revision", p.dataset.revision);
  });
  document.addEventListener("htmx:afterRequest", function (e) {
    var revision = e.detail.xhr && e.detail.xhr.getResponseHeader("X-Table-Revision");
    var p0 = panel();
    if (revision && p0 && e.detail.elt && e.detail.elt.closest && e.detail.elt.closest("[data-lock-panel]")) {
      p0.dataset.revision = revision;
    }
    // A save refused because our lock is gone: forget it (the re-rendered panel then takes a new one if free).
    if (e.detail.xhr && e.detail.xhr.status === 423 && held && e.detail.elt.closest("[data-lock-panel]")) {
      clearInterval(held.timer);
      delete locks[held.tableId];
      held = null;
    }
  });
  document.addEventListener("htmx:afterSettle", adopt);
  // Leaving: give the lock back and take none any more (the socket may still deliver that very release, and a
  // closing tab must not grab the table again). Back from the bfcache: carry on.
  window.addEventListener("pagehide", function () { leaving = true; drop(true); });
  window.addEventListener("pageshow", function (e) { if (e.persisted) { leaving = false; adopt(); } });

  /* --- refresh after someone else's change ------------------------------------------------------------ */
  var redraw = null;  // {tables: Set, removed: Set, full: bool}, flushed shortly after the first event
  function queueRedraw(ev) {
    if (!window.tablewright) return;
    if (!redraw) {
      redraw = {tables: new Set(), removed: new Set(), full: false};
      setTimeout(function () {
        var r = redraw; redraw = null;
        var detail = {tables: Array.from(r.tables), removed: Array.from(r.removed), full: r.full};
        if (!detail.full && !detail.tables.length && !detail.removed.length) return;
        window.tablewright.refresh(detail).then(paintBadges).catch(function () {});
      }, 60);
    }
    if (!ev.table_id || ev.what === "replaced") redraw.full = true;
    else if (ev.what === "deleted") redraw.removed.add(ev.table_id);
    else redraw.tables.add(ev.table_id);
  }
  function refreshPanel(p, deleted) {
    if (deleted) {
      drop(false);
      p.outerHTML = '<p class="muted" role="status">This table was deleted by someone else.</p>';
      return;
    }
    htmx.ajax("GET", p.dataset.refreshUrl, {target: "#panel", swap: "innerHTML"}).catch(function () {});
  }
  function schemaChanged(ev) {
    emit("tw:schema-changed", ev);
    if (ev.origin ? ev.origin === tab : (ev.what === "layout" && ev.by === me)) return;  // ours: redrawn by its HX-Trigger
    // (an untagged layout change of mine: a request without the tab header, e.g. from a page loaded before it)
    queueRedraw(ev);
    if (ev.what === "created" || ev.what === "deleted" || ev.what === "replaced") {
      if (window.htmx) htmx.trigger(document.body, "tables-changed");
    }
    var p = panel();
    if (!p || ev.what === "layout" || !window.htmx) return;
    if (ev.table_id && ev.table_id !== p.dataset.tableId) return;
    if (held && held.tableId === p.dataset.tableId && ev.table_id) return;  // nobody else writes what we hold
    refreshPanel(p, ev.what === "deleted" && ev.table_id === p.dataset.tableId);
  }
  document.addEventListener("tw:diagram-redrawn", paintBadges);

  /* --- presence ------------------------------------------------------------------------------------- */
  function paintPresence() {
    var counts = {};
    Object.keys(people).forEach(function (c) { counts[people[c]] = (counts[people[c]] || 0) + 1; });
    document.querySelectorAll("[data-presence]").forEach(function (list) {
      list.innerHTML = "";
      Object.keys(counts).sort().forEach(function (user) {
        var li = document.createElement("li");
        li.textContent = user + (user === me ? " (you)" : "") + (counts[user] > 1 ? " · " + counts[user] + " tabs" : "");
        li.dataset.user = user;
        list.appendChild(li);
      });
    });
  }

  /* --- the socket ----------------------------------------------------------------------------------- */
  function handle(ev) {
    var kind = ev.event;
    if (kind === "sync") {
      locks = {};
      ev.locks.forEach(remember);
      // Ours is not listed: it was given back while the socket was down (its close releases it): take it again.
      if (held && held.lockType === "optimistic" && !locks[held.tableId]) drop(false);
      people = {};
      ev.presence.forEach(function (p) { people[p.conn] = p.user; });
      paintPresence(); paintBadges(); paintPanel();
      var p = panel();
      if (p && !held && !locks[p.dataset.tableId]) acquire(p);
    } else if (kind.indexOf("lock.") === 0) {
      if (kind === "lock.acquired" || kind === "lock.renewed") {
        remember(ev);
      } else {
        delete locks[ev.table_id];
        var p2 = panel(), brokenFromMe = false;
        if (held && held.tableId === ev.table_id && ev.holder === me) {
          if (kind === "lock.forced") {
            brokenFromMe = true;  // do not grab it straight back; it is offered again when next released
            lost("Your lock was broken by " + ev.by + (ev.why ? " (" + ev.why + ")" : "") + ". Nothing more can be saved here.");
          } else if (kind === "lock.expired") {
            lost("Your lock had expired (the page missed its heartbeat); it is taken again while the table is free.");
          } else {
            drop(false);  // released by another tab of mine (a shared pessimistic lock): take one of our own
          }
        }
        var breakingIt = kind === "lock.forced" && ev.by === me;  // this tab's Break lock takes it in the same step
        if (p2 && !held && !brokenFromMe && !breakingIt && p2.dataset.tableId === ev.table_id) acquire(p2);  // free now: take it
      }
      emit("tw:lock", ev);
      paintBadges(); paintPanel();
    } else if (kind === "schema.changed") {
      schemaChanged(ev);
    } else if (kind === "presence.joined") {
      people[ev.conn] = ev.user; paintPresence(); emit("tw:presence", ev);
    } else if (kind === "presence.left") {
      delete people[ev.conn]; paintPresence(); emit("tw:presence", ev);
    } else if (kind.indexOf("deploy.") === 0) {
      emit("tw:deploy", ev);
    }
  }
  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + root.dataset.wsPath);
    socket.onopen = function () {
      retry = 500;
      root.dataset.connected = "1";
      tellHolding();
      clearInterval(pinger);
      pinger = setInterval(function () { if (socket.readyState === 1) socket.send("{\"event\":\"ping\"}"); }, 30000);
    };
    socket.onmessage = function (m) { handle(JSON.parse(m.data)); };
    socket.onclose = function (e) {
      root.dataset.connected = "0";
      clearInterval(pinger);
      if (e.code === 4401 || e.code === 4403) return;  // not logged in / not a member: do not hammer
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 10000);
    };
  }
  connect();
  adopt();
})();
