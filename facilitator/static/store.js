/* The phone's storage: IndexedDB, every record sealed with AES-GCM under a key from the PIN.
 *
 * Plain on the phone: the PIN's salt and iteration count, the count of wrong PINs in a row,
 * the language, and each report's random id. Everything else (the token, the villages, the
 * sync cursor, every report) is sealed; a record's id is bound to it as additional data,
 * so records cannot be swapped. The key never leaves memory and is dropped when the app locks.
 */
"use strict";

(function () {
  const DB_NAME = "sigap";
  const DB_VERSION = 1;
  const ITERATIONS = 600000; // PBKDF2-SHA256, as OWASP advises (2023)
  const MAX_TRIES = 5;
  const CHECK = "sigap-pin-check";
  const enc = new TextEncoder();
  const dec = new TextDecoder();

  let db = null;

  function request(r) {
    return new Promise((resolve, reject) => {
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
  }

  async function open() {
    if (db) return db;
    const r = indexedDB.open(DB_NAME, DB_VERSION);
    r.onupgradeneeded = () => {
      r.result.createObjectStore("meta", { keyPath: "k" });
      r.result.createObjectStore("records", { keyPath: "id" });
    };
    db = await request(r);
    db.onversionchange = () => { db.close(); db = null; };
    return db;
  }

  async function tx(store, mode, fn) {
    const d = await open();
    return new Promise((resolve, reject) => {
      const t = d.transaction(store, mode);
      let out;
      Promise.resolve(fn(t.objectStore(store))).then((v) => { out = v; }, reject);
      t.oncomplete = () => resolve(out);
      t.onerror = () => reject(t.error);
      t.onabort = () => reject(t.error);
    });
  }

  const get = (store, key) => tx(store, "readonly", (s) => request(s.get(key)));
  const all = (store) => tx(store, "readonly", (s) => request(s.getAll()));
  const put = (store, value) => tx(store, "readwrite", (s) => { s.put(value); });
  const del = (store, key) => tx(store, "readwrite", (s) => { s.delete(key); });

  async function deriveKey(pin, salt, iterations) {
    const base = await crypto.subtle.importKey("raw", enc.encode(pin), "PBKDF2", false, ["deriveKey"]);
    return crypto.subtle.deriveKey(
      { name: "PBKDF2", hash: "SHA-256", salt, iterations },
      base,
      { name: "AES-GCM", length: 256 },
      false,
      ["encrypt", "decrypt"],
    );
  }

  async function seal(key, id, value) {
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const data = enc.encode(JSON.stringify(value));
    const ct = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: enc.encode(id) }, key, data);
    return { id, iv, ct: new Uint8Array(ct) };
  }

  async function open_(key, row) {
    const plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: row.iv, additionalData: enc.encode(row.id) }, key, row.ct,
    );
    return JSON.parse(dec.decode(plain));
  }

  /** Is a phone paired here (a PIN and a sealed token are stored)? */
  async function isPaired() {
    return Boolean(await get("meta", "lock"));
  }

  /** Store a new PIN's lock and the sealed secret (token, area, villages); return the key. */
  async function pair(pin, secret) {
    await wipe();
    const salt = crypto.getRandomValues(new Uint8Array(16));
    const key = await deriveKey(pin, salt, ITERATIONS);
    const check = await seal(key, "check", CHECK);
    await put("meta", { k: "lock", salt, iterations: ITERATIONS, check, failures: 0 });
    await saveSecret(key, secret);
    return key;
  }

  /**
   * Try a PIN. Returns {key} when right, {left} tries left when wrong, or {wiped: true}
   * when it was the last wrong try and everything stored here has been erased.
   * A try is counted before the key is derived, so closing the app mid-try still counts.
   */
  async function unlock(pin) {
    const lock = await get("meta", "lock");
    if (!lock) return { wiped: true };
    lock.failures += 1;
    await put("meta", lock);
    try {
      const key = await deriveKey(pin, lock.salt, lock.iterations);
      if ((await open_(key, lock.check)) !== CHECK) throw new Error("check");
      lock.failures = 0;
      await put("meta", lock);
      return { key };
    } catch (e) {
      if (lock.failures >= MAX_TRIES) {
        await wipe();
        return { wiped: true };
      }
      return { left: MAX_TRIES - lock.failures };
    }
  }

  /** How many tries are left before the data is erased (before any PIN is typed). */
  async function triesLeft() {
    const lock = await get("meta", "lock");
    return lock ? MAX_TRIES - lock.failures : MAX_TRIES;
  }

  /** Erase every record and the database itself. */
  async function wipe() {
    const d = await open();
    await new Promise((resolve, reject) => {
      const t = d.transaction(["meta", "records"], "readwrite");
      t.objectStore("records").clear();
      t.objectStore("meta").clear();
      t.oncomplete = resolve;
      t.onerror = () => reject(t.error);
    });
    d.close();
    db = null;
    await new Promise((resolve) => {
      const r = indexedDB.deleteDatabase(DB_NAME);
      r.onsuccess = r.onerror = r.onblocked = () => resolve();
    });
  }

  async function loadSecret(key) {
    const row = await get("meta", "secret");
    return row ? open_(key, { id: "secret", iv: row.iv, ct: row.ct }) : null;
  }

  async function saveSecret(key, secret) {
    const row = await seal(key, "secret", secret);
    await put("meta", { k: "secret", iv: row.iv, ct: row.ct });
  }

  /** Return every report, opened. */
  async function loadReports(key) {
    const rows = await all("records");
    return Promise.all(rows.filter((r) => r.id.startsWith("r:")).map((r) => open_(key, r)));
  }

  async function saveReport(key, report) {
    await put("records", await seal(key, "r:" + report.local_id, report));
  }

  async function deleteReport(localId) {
    await del("records", "r:" + localId);
  }

  async function loadDraft(key) {
    const row = await get("records", "draft");
    return row ? open_(key, row) : null;
  }

  async function saveDraft(key, draft) {
    if (draft) await put("records", await seal(key, "draft", draft));
    else await del("records", "draft");
  }

  async function getLang() {
    const row = await get("meta", "lang");
    return row ? row.v : null;
  }

  const setLang = (lang) => put("meta", { k: "lang", v: lang });

  self.SigapStore = {
    MAX_TRIES, isPaired, pair, unlock, triesLeft, wipe, loadSecret, saveSecret,
    loadReports, saveReport, deleteReport, loadDraft, saveDraft, getLang, setLang,
  };
})();
