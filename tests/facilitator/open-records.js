// Open every record with the PIN, as the app does (PBKDF2-SHA256, AES-GCM, id as AAD).
async (pin) => {
  const req = (r) => new Promise((ok, no) => { r.onsuccess = () => ok(r.result); r.onerror = () => no(r.error); });
  const db = await req(indexedDB.open("sigap"));
  const lock = await req(db.transaction("meta").objectStore("meta").get("lock"));
  const rows = await req(db.transaction("records").objectStore("records").getAll());
  db.close();
  const enc = new TextEncoder();
  const base = await crypto.subtle.importKey("raw", enc.encode(pin), "PBKDF2", false, ["deriveKey"]);
  const key = await crypto.subtle.deriveKey(
    { name: "PBKDF2", hash: "SHA-256", salt: lock.salt, iterations: lock.iterations },
    base, { name: "AES-GCM", length: 256 }, false, ["decrypt"]);
  const out = [];
  for (const row of rows) {
    const plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: row.iv, additionalData: enc.encode(row.id) }, key, row.ct);
    out.push(JSON.parse(new TextDecoder().decode(plain)));
  }
  return { iterations: lock.iterations, records: out };
}
