// Everything the page's origin keeps: IndexedDB (bytes as latin-1 text, so that plain
// UTF-8 would show), Web Storage and the service worker's caches.
async () => {
  const asText = (v) => {
    if (v instanceof ArrayBuffer) v = new Uint8Array(v);
    if (ArrayBuffer.isView(v)) return String.fromCharCode(...new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
    if (Array.isArray(v)) return v.map(asText);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, asText(x)]));
    return v;
  };
  const req = (r) => new Promise((ok, no) => { r.onsuccess = () => ok(r.result); r.onerror = () => no(r.error); });
  const out = { idb: {}, local: { ...localStorage }, session: { ...sessionStorage }, caches: {} };
  for (const info of await indexedDB.databases()) {
    const db = await req(indexedDB.open(info.name));
    for (const name of db.objectStoreNames) {
      out.idb[info.name + "/" + name] = asText(await req(db.transaction(name).objectStore(name).getAll()));
    }
    db.close();
  }
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    out.caches[name] = [];
    for (const request of await cache.keys()) {
      out.caches[name].push(request.url + " " + await (await cache.match(request)).text());
    }
  }
  return out;
}
