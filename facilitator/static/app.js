/* The facilitator app: pair once, lock with a PIN, write reports offline, send them later.
 *
 * Nothing about a report goes into the page title or a notification: a phone others pick up
 * shows only "SIGAP". Texts come from texts.js (the catalogues), Indonesian first.
 */
"use strict";

(function () {
  const S = self.SigapStore;
  const TEXTS = self.SIGAP_TEXTS || { id: {}, en: {} };
  const IDLE_MS = 5 * 60 * 1000; // locks after five minutes without a touch
  const BATCH = 100; // the server's largest batch
  const CATEGORIES = ["kdrt", "kekerasan_seksual", "kekerasan_anak", "tppo", "perkawinan_anak", "lainnya"];
  const VICTIMS = ["perempuan", "anak", "tidak_diketahui"];
  const PRIORITIES = ["darurat", "tinggi", "biasa"];
  const CONTACT = ["unknown", "yes", "no"];

  let lang = "id";
  let key = null; // the AES key while unlocked; null when locked
  let secret = null; // {token, cursor, region, villages}
  let reports = [];
  let editing = null; // local_id of a rejected report being corrected
  let syncing = false;
  let lastTouch = Date.now();

  const $ = (id) => document.getElementById(id);

  function t(name, params) {
    let text = (TEXTS[lang] && TEXTS[lang][name]) || TEXTS.id[name] || name;
    for (const [k, v] of Object.entries(params || {})) text = text.split("{" + k + "}").join(String(v));
    return text;
  }

  function translatePage() {
    document.documentElement.lang = lang;
    for (const el of document.querySelectorAll("[data-t]")) el.textContent = t(el.dataset.t);
    $("lang").textContent = t("lang.switch");
    fillSelect($("f-category"), CATEGORIES, "category.");
    fillSelect($("f-victim"), VICTIMS, "victim.");
    fillSelect($("f-priority"), PRIORITIES, "priority.");
    fillSelect($("f-contact"), CONTACT, "contact.");
    $("f-filter").placeholder = t("compose.village_filter");
    if (key) { fillVillages(); renderReports(); renderNet(); }
  }

  function fillSelect(select, values, prefix) {
    const chosen = select.value;
    select.replaceChildren(option("", t("compose.choose")));
    for (const v of values) select.append(option(v, t(prefix + v)));
    select.value = chosen;
  }

  function option(value, label) {
    const o = document.createElement("option");
    o.value = value;
    o.textContent = label;
    return o;
  }

  function show(id) {
    for (const s of ["loading", "pair", "lock", "home"]) $(s).hidden = s !== id;
    document.title = "SIGAP";
  }

  function notice(text, kind) {
    const n = $("notice");
    n.textContent = text || "";
    n.className = kind || "";
  }

  // --- start, pairing, PIN -------------------------------------------------------------------

  async function start() {
    lang = (await S.getLang()) || "id";
    translatePage();
    wire();
    registerWorker();
    if (await S.isPaired()) await showLock();
    else show("pair");
  }

  async function showLock(message) {
    show("lock");
    $("lock-pin").value = "";
    const left = await S.triesLeft();
    $("lock-warning").textContent = message || (left < S.MAX_TRIES ? warning(left) : "");
    $("lock-pin").focus();
  }

  function warning(left) {
    return t("lock.warning", { left, max: S.MAX_TRIES });
  }

  async function onPair(event) {
    event.preventDefault();
    const token = $("pair-token").value.trim();
    const pin = $("pair-pin").value;
    if (!/^[0-9]{6,12}$/.test(pin)) return notice(t("pair.pin_rule"), "error");
    if (pin !== $("pair-pin2").value) return notice(t("pair.pin_mismatch"), "error");
    if (!token) return notice(t("pair.token_missing"), "error");
    notice(t("pair.checking"));
    let area;
    try {
      area = await api(token, "GET", "/api/v1/sync/villages");
    } catch (e) {
      return notice(t(e.kind === "network" ? "pair.offline" : e.kind === "forbidden" ? "pair.not_facilitator" : e.kind === "token" ? "pair.bad_token" : "sync.failed"), "error");
    }
    secret = { token, cursor: null, region: area.region, villages: area.villages, villages_at: Date.now() };
    key = await S.pair(pin, secret);
    for (const id of ["pair-token", "pair-pin", "pair-pin2"]) $(id).value = "";
    reports = [];
    notice(t("pair.done"), "ok");
    await enterHome();
  }

  async function onUnlock(event) {
    event.preventDefault();
    const pin = $("lock-pin").value;
    $("lock-pin").value = "";
    $("lock-submit").disabled = true;
    notice(t("lock.checking"));
    try {
      const r = await S.unlock(pin);
      if (r.key) {
        key = r.key;
        secret = await S.loadSecret(key);
        reports = await S.loadReports(key);
        notice("");
        await enterHome();
        const draft = await S.loadDraft(key);
        if (draft) { setForm(draft); await S.saveDraft(key, null); }
        if (navigator.onLine) sync();
      } else if (r.wiped) {
        key = null; secret = null; reports = [];
        show("pair");
        notice(t("lock.wiped", { max: S.MAX_TRIES }), "error");
      } else {
        notice("");
        await showLock(t("lock.wrong") + " " + warning(r.left));
      }
    } finally {
      $("lock-submit").disabled = false;
    }
  }

  async function lock() {
    if (!key) return;
    const draft = readForm();
    if (draft.text || draft.category || draft.region_code) await S.saveDraft(key, draft);
    key = null; secret = null; reports = []; editing = null;
    $("compose").reset();
    $("reports").replaceChildren();
    $("sync-status").textContent = "";
    notice("");
    await showLock();
  }

  function touched() {
    lastTouch = Date.now();
  }

  function checkIdle() {
    if (key && Date.now() - lastTouch >= IDLE_MS) lock();
  }

  async function enterHome() {
    show("home");
    touched();
    fillVillages();
    renderReports();
    renderNet();
  }

  async function onNewToken(event) {
    event.preventDefault();
    const token = $("token-new").value.trim();
    if (!token) return;
    try {
      const area = await api(token, "GET", "/api/v1/sync/villages");
      Object.assign(secret, { token, region: area.region, villages: area.villages, villages_at: Date.now() });
      await S.saveSecret(key, secret);
      $("token-new").value = "";
      $("token-box").open = false;
      notice(t("token.replaced"), "ok");
      fillVillages();
      sync();
    } catch (e) {
      notice(t(e.kind === "network" ? "pair.offline" : e.kind === "forbidden" ? "pair.not_facilitator" : "pair.bad_token"), "error");
    }
  }

  // --- composing -----------------------------------------------------------------------------

  function fillVillages() {
    const select = $("f-village");
    const chosen = select.value;
    const filter = $("f-filter").value.trim().toLowerCase();
    select.replaceChildren(option("", t("compose.choose")));
    const groups = new Map();
    for (const v of (secret && secret.villages) || []) {
      if (filter && !v.name.toLowerCase().includes(filter) && v.code !== chosen) continue;
      const name = v.district || "";
      if (!groups.has(name)) {
        const g = document.createElement("optgroup");
        g.label = name;
        groups.set(name, g);
      }
      groups.get(name).append(option(v.code, v.name));
    }
    for (const g of [...groups.keys()].sort()) select.append(groups.get(g));
    select.value = chosen;
    $("area").textContent = secret && secret.region ? t("home.area", { area: secret.region.name }) : "";
  }

  function villageName(code) {
    const v = ((secret && secret.villages) || []).find((x) => x.code === code);
    return v ? v.name : code;
  }

  function readForm() {
    return {
      category: $("f-category").value,
      victim: $("f-victim").value,
      priority: $("f-priority").value,
      region_code: $("f-village").value,
      text: $("f-text").value.trim(),
      contact: $("f-contact").value,
    };
  }

  function setForm(f) {
    $("f-category").value = f.category || "";
    $("f-victim").value = f.victim || "";
    $("f-priority").value = f.priority || "";
    $("f-filter").value = "";
    fillVillages();
    $("f-village").value = f.region_code || "";
    $("f-text").value = f.text || "";
    $("f-contact").value = f.contact || "";
  }

  async function onSave(event) {
    event.preventDefault();
    const f = readForm();
    const missing = ["category", "victim", "priority", "region_code"].filter((k) => !f[k]);
    if (missing.length) return notice(t("compose.missing"), "error");
    const old = editing ? reports.find((r) => r.local_id === editing) : null;
    const errors = (old && old.errors) || {};
    // A UUID another phone used needs a new one; a time the server refused, the phone's now.
    const reused = old && !errors.client_uuid;
    const report = {
      local_id: old ? old.local_id : crypto.randomUUID(),
      client_uuid: reused ? old.client_uuid : crypto.randomUUID(),
      captured_at: old && !errors.captured_at ? old.captured_at : localIso(new Date()),
      category: f.category, victim: f.victim, priority: f.priority,
      region_code: f.region_code, text: f.text, contact: f.contact,
      state: "queued",
    };
    await S.saveReport(key, report);
    reports = reports.filter((r) => r.local_id !== report.local_id).concat([report]);
    editing = null;
    $("compose").reset();
    $("compose-cancel").hidden = true;
    fillVillages();
    renderReports();
    notice(t("compose.saved"), "ok");
    if (navigator.onLine) sync();
  }

  /** The phone's time with its offset, e.g. 2026-11-27T06:40:00+08:00. */
  function localIso(d) {
    const pad = (n) => String(n).padStart(2, "0");
    const off = -d.getTimezoneOffset();
    const sign = off >= 0 ? "+" : "-";
    const a = Math.abs(off);
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:` +
      `${pad(d.getMinutes())}:${pad(d.getSeconds())}${sign}${pad(Math.floor(a / 60))}:${pad(a % 60)}`;
  }

  // --- the list ------------------------------------------------------------------------------

  function renderReports() {
    const list = $("reports");
    list.replaceChildren();
    const sorted = [...reports].sort((a, b) => (a.captured_at < b.captured_at ? 1 : -1));
    for (const r of sorted) list.append(reportItem(r));
    const waiting = reports.filter((r) => r.state === "queued").length;
    $("queue").textContent = t("home.queue", { n: waiting });
    $("empty").hidden = reports.length > 0;
  }

  function reportItem(r) {
    const li = document.createElement("li");
    li.className = "report " + r.state;
    li.dataset.state = r.state;
    const head = document.createElement("div");
    const when = new Date(r.captured_at).toLocaleString(lang === "en" ? "en-GB" : "id-ID",
      { dateStyle: "medium", timeStyle: "short" });
    const where = r.region_code ? " · " + villageName(r.region_code) : "";
    head.textContent = t("category." + r.category) + where + " · " + when;
    const line = document.createElement("div");
    line.className = "state";
    if (r.state === "sent") {
      const ref = document.createElement("strong");
      ref.className = "reference";
      ref.textContent = r.reference || "—";
      const outcome = r.outcome === "already_received" ? "outcome.already_received" : "outcome.created";
      line.append(t(outcome) + " · ", ref);
      if (r.status) line.append(" · " + t("status." + r.status));
      if (r.agencies && r.agencies.length) line.append(" · " + r.agencies.join(", "));
    } else if (r.state === "rejected") {
      line.textContent = t("outcome.rejected") + " " + reasons(r.errors);
      const fix = button(t("list.fix"), () => edit(r.local_id));
      const drop = button(t("list.delete"), () => remove(r.local_id));
      li.append(head, line, fix, drop);
      return li;
    } else {
      line.textContent = t("outcome.queued");
    }
    li.append(head, line);
    return li;
  }

  function reasons(errors) {
    return Object.entries(errors || {})
      .map(([field, texts]) => t("field." + field) + ": " + texts.join(" "))
      .join("; ");
  }

  function button(label, fn) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    b.addEventListener("click", fn);
    return b;
  }

  function edit(localId) {
    const r = reports.find((x) => x.local_id === localId);
    editing = localId;
    setForm(r);
    $("compose-cancel").hidden = false;
    $("f-category").focus();
  }

  async function remove(localId) {
    if (!confirm(t("list.delete_confirm"))) return;
    await S.deleteReport(localId);
    reports = reports.filter((r) => r.local_id !== localId);
    renderReports();
  }

  function renderNet() {
    $("net").textContent = t(navigator.onLine ? "home.online" : "home.offline");
    $("net").className = navigator.onLine ? "online" : "offline";
  }

  // --- sync ----------------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(kind, status) { super(kind); this.kind = kind; this.status = status; }
  }

  async function api(token, method, path, body) {
    let response;
    try {
      response = await fetch(path, {
        method,
        cache: "no-store",
        headers: Object.assign({ Authorization: "Bearer " + token },
          body ? { "Content-Type": "application/json" } : {}),
        body: body ? JSON.stringify(body) : undefined,
      });
    } catch (e) {
      throw new ApiError("network");
    }
    if (response.status === 401) throw new ApiError("token", 401);
    if (response.status === 403) throw new ApiError("forbidden", 403);
    if (response.status === 429) throw new ApiError("busy", 429);
    if (!response.ok) throw new ApiError("server", response.status);
    try {
      return await response.json();
    } catch (e) {
      throw new ApiError("network");
    }
  }

  function wire_(r) {
    const item = {
      client_uuid: r.client_uuid, captured_at: r.captured_at,
      category: r.category, victim: r.victim, priority: r.priority, region_code: r.region_code,
    };
    if (r.text) item.text = r.text;
    if (r.contact === "yes") item.may_contact = true;
    if (r.contact === "no") item.may_contact = false;
    return item;
  }

  /** What stays on the phone once the server holds a report: no text, no place, no victim. */
  function confirmed(r, result) {
    return {
      local_id: r.local_id, client_uuid: r.client_uuid, captured_at: r.captured_at,
      category: r.category, state: "sent", outcome: result.outcome,
      reference: result.reference, status: result.status, agencies: r.agencies || [],
    };
  }

  async function sync() {
    if (!key || syncing) return;
    if (!navigator.onLine) { $("sync-status").textContent = t("sync.offline"); return; }
    syncing = true;
    $("sync-now").disabled = true;
    $("sync-status").textContent = t("sync.running");
    const counts = { created: 0, already_received: 0, rejected: 0 };
    try {
      const queue = reports.filter((r) => r.state === "queued");
      for (let i = 0; i < queue.length; i += BATCH) {
        const batch = queue.slice(i, i + BATCH);
        const answer = await api(secret.token, "POST", "/api/v1/sync/reports", { items: batch.map(wire_) });
        for (const result of answer.results) await apply(batch[result.index], result, counts);
        renderReports();
      }
      await pullChanges();
      await refreshVillages();
      $("sync-status").textContent = t("sync.done", counts) + " " + t("sync.at", { time: clock() });
    } catch (e) {
      const kind = e instanceof ApiError ? e.kind : "server";
      $("sync-status").textContent = t("sync.error_" + kind);
    } finally {
      syncing = false;
      $("sync-now").disabled = false;
      renderReports();
    }
  }

  async function apply(r, result, counts) {
    if (!r || !key || result.client_uuid !== r.client_uuid) return;
    counts[result.outcome] = (counts[result.outcome] || 0) + 1;
    const next = result.outcome === "rejected"
      ? Object.assign({}, r, { state: "rejected", errors: result.errors || {} })
      : confirmed(r, result);
    await S.saveReport(key, next);
    reports = reports.map((x) => (x.local_id === r.local_id ? next : x));
  }

  async function pullChanges() {
    for (let page = 0; page < 20; page++) {
      const q = secret.cursor ? "?cursor=" + encodeURIComponent(secret.cursor) : "";
      const answer = await api(secret.token, "GET", "/api/v1/sync/changes" + q);
      for (const change of answer.changes) {
        for (const r of reports.filter((x) => x.state === "sent" && change.client_uuids.includes(x.client_uuid))) {
          const next = Object.assign({}, r, {
            reference: change.reference, status: change.status, agencies: change.agencies,
          });
          await S.saveReport(key, next);
          reports = reports.map((x) => (x.local_id === r.local_id ? next : x));
        }
      }
      secret.cursor = answer.cursor;
      await S.saveSecret(key, secret);
      if (!answer.has_more) return;
    }
  }

  async function refreshVillages() {
    if (secret.villages_at && Date.now() - secret.villages_at < 24 * 3600 * 1000) return;
    const area = await api(secret.token, "GET", "/api/v1/sync/villages");
    Object.assign(secret, { region: area.region, villages: area.villages, villages_at: Date.now() });
    await S.saveSecret(key, secret);
    fillVillages();
  }

  function clock() {
    return new Date().toLocaleTimeString(lang === "en" ? "en-GB" : "id-ID", { timeStyle: "short" });
  }

  // --- wiring --------------------------------------------------------------------------------

  function wire() {
    $("pair-form").addEventListener("submit", onPair);
    $("lock-form").addEventListener("submit", onUnlock);
    $("compose").addEventListener("submit", onSave);
    $("token-form").addEventListener("submit", onNewToken);
    $("compose-cancel").addEventListener("click", () => {
      editing = null; $("compose").reset(); $("compose-cancel").hidden = true; fillVillages();
    });
    $("f-filter").addEventListener("input", fillVillages);
    $("sync-now").addEventListener("click", () => sync());
    $("lock-now").addEventListener("click", () => lock());
    $("lang").addEventListener("click", async () => {
      lang = lang === "id" ? "en" : "id";
      await S.setLang(lang);
      translatePage();
    });
    window.addEventListener("online", () => { renderNet(); sync(); });
    window.addEventListener("offline", renderNet);
    for (const e of ["pointerdown", "keydown", "input", "scroll"]) {
      document.addEventListener(e, touched, { passive: true, capture: true });
    }
    // Checked often rather than one long timer: timers sleep while the phone is off.
    setInterval(checkIdle, 15000);
    document.addEventListener("visibilitychange", checkIdle);
    if ("BarcodeDetector" in self && navigator.mediaDevices) {
      $("pair-scan").hidden = false;
      $("pair-scan").addEventListener("click", scan);
    }
  }

  /** Read the token from a QR code with the camera, where the phone can. */
  async function scan() {
    const video = $("pair-video");
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
    } catch (e) {
      return notice(t("pair.no_camera"), "error");
    }
    video.srcObject = stream;
    video.hidden = false;
    await video.play();
    const detector = new BarcodeDetector({ formats: ["qr_code"] });
    const stop = () => { stream.getTracks().forEach((x) => x.stop()); video.hidden = true; };
    for (let i = 0; i < 300; i++) {
      const codes = await detector.detect(video).catch(() => []);
      if (codes.length) { $("pair-token").value = codes[0].rawValue.trim(); return stop(); }
      await new Promise((r) => setTimeout(r, 200));
    }
    stop();
  }

  function registerWorker() {
    if (!("serviceWorker" in navigator)) return;
    navigator.serviceWorker.register("/app/sw.js", { scope: "/app" }).then(
      () => navigator.serviceWorker.ready,
    ).then(() => {
      const mark = () => { if (navigator.serviceWorker.controller) document.documentElement.dataset.offline = "ready"; };
      mark();
      navigator.serviceWorker.addEventListener("controllerchange", mark);
    }).catch(() => {});
  }

  start().catch(() => notice(t("app.no_storage"), "error")).then(() => {
    document.documentElement.dataset.ready = "1";
    performance.mark("sigap-ready");
  });
})();
