// Opening keys (开标密钥) in the key holder's browser, with WebCrypto only.
//
// * Generate: a P-256 key pair; the private half goes into a file the holder saves and is never
//   sent; the platform receives the public half only.
// * Check: a saved file's two halves match, and it is the key registered.
// * Open: at an opening, read the key file locally, fetch this holder's sealed shares of the
//   request's quotes and open each with HPKE (RFC 9180 base mode, DHKEM(P-256, HKDF-SHA256),
//   HKDF-SHA256, AES-256-GCM; the same as market/domain/sealing.py), then post only the shares.
//
// Every message comes translated from the page (data-msg-* attributes).
(function () {
  "use strict";
  var KEY_FORMAT = "market-opening-key/v1";
  var SHARES_FORMAT = "market-opening-shares/v1";
  var subtle = window.crypto && window.crypto.subtle;
  var text = new TextEncoder();

  function b64(bytes) {
    var s = "";
    bytes = new Uint8Array(bytes);
    for (var i = 0; i < bytes.length; i++) { s += String.fromCharCode(bytes[i]); }
    return btoa(s);
  }
  function unb64(s) {
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { out[i] = bin.charCodeAt(i); }
    return out;
  }
  function unb64url(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) { s += "="; }
    return unb64(s);
  }
  function hex(bytes) {
    return Array.prototype.map.call(new Uint8Array(bytes), function (b) {
      return (b < 16 ? "0" : "") + b.toString(16);
    }).join("");
  }
  function concat() {
    var total = 0, i, parts = Array.prototype.slice.call(arguments);
    for (i = 0; i < parts.length; i++) { total += parts[i].length; }
    var out = new Uint8Array(total), at = 0;
    for (i = 0; i < parts.length; i++) { out.set(parts[i], at); at += parts[i].length; }
    return out;
  }
  function equal(a, b) {
    if (a.length !== b.length) { return false; }
    for (var i = 0; i < a.length; i++) { if (a[i] !== b[i]) { return false; } }
    return true;
  }
  function i2osp(n, len) {
    var out = new Uint8Array(len);
    for (var i = len - 1; i >= 0; i--) { out[i] = n & 0xff; n = n >>> 8; }
    return out;
  }
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (m, k) { return values[k] !== undefined ? values[k] : m; });
  }
  function show(node, message) {
    if (!node) { return; }
    node.textContent = message;
    node.hidden = !message;
  }
  function readFile(input) {
    return new Promise(function (resolve, reject) {
      var file = input.files && input.files[0];
      if (!file) { reject(new Error("no file")); return; }
      var reader = new FileReader();
      reader.onload = function () { resolve(reader.result); };
      reader.onerror = function () { reject(reader.error); };
      reader.readAsText(file);
    });
  }

  async function keyId(publicRaw) {
    return "OK-" + hex(await subtle.digest("SHA-256", publicRaw)).slice(0, 16);
  }

  // A key file: its two halves must match.  Returns {id, publicRaw, privateKey} or throws.
  async function loadKeyFile(textContent) {
    var doc;
    try { doc = JSON.parse(textContent); } catch (e) { throw new Error("not-key"); }
    if (!doc || doc.format !== KEY_FORMAT || !doc.public_key || !doc.private_key_pkcs8) {
      throw new Error("not-key");
    }
    var publicRaw, privateKey, jwk;
    try {
      publicRaw = unb64(doc.public_key);
      privateKey = await subtle.importKey("pkcs8", unb64(doc.private_key_pkcs8),
        { name: "ECDH", namedCurve: "P-256" }, true, ["deriveBits"]);
      jwk = await subtle.exportKey("jwk", privateKey);
    } catch (e) { throw new Error("not-key"); }
    if (!equal(publicRaw, concat(new Uint8Array([4]), unb64url(jwk.x), unb64url(jwk.y)))) {
      throw new Error("not-key");
    }
    return { id: await keyId(publicRaw), publicRaw: publicRaw, privateKey: privateKey };
  }

  // --- HPKE, receiver side (RFC 9180 §4.1, §5.1), base mode, one message per context ------
  var KEM_SUITE = concat(text.encode("KEM"), i2osp(0x0010, 2));
  var HPKE_SUITE = concat(text.encode("HPKE"), i2osp(0x0010, 2), i2osp(0x0001, 2), i2osp(0x0002, 2));
  var EMPTY = new Uint8Array(0);

  async function hmac(key, data) {
    // HKDF-Extract with no salt uses Nh zero bytes, which HMAC pads exactly like an empty key.
    var k = await subtle.importKey("raw", key.length ? key : new Uint8Array(32),
      { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    return new Uint8Array(await subtle.sign("HMAC", k, data));
  }
  function labeledExtract(salt, suite, label, ikm) {
    return hmac(salt, concat(text.encode("HPKE-v1"), suite, text.encode(label), ikm));
  }
  async function labeledExpand(prk, suite, label, info, length) {
    // length <= 32: one HKDF-Expand block
    var labeled = concat(i2osp(length, 2), text.encode("HPKE-v1"), suite, text.encode(label), info);
    return (await hmac(prk, concat(labeled, new Uint8Array([1])))).slice(0, length);
  }
  async function hpkeOpen(privateKey, publicRaw, enc, ciphertext, info) {
    var ephemeral = await subtle.importKey("raw", enc, { name: "ECDH", namedCurve: "P-256" }, false, []);
    var dh = new Uint8Array(await subtle.deriveBits({ name: "ECDH", public: ephemeral }, privateKey, 256));
    var eaePrk = await labeledExtract(EMPTY, KEM_SUITE, "eae_prk", dh);
    var shared = await labeledExpand(eaePrk, KEM_SUITE, "shared_secret", concat(enc, publicRaw), 32);
    var context = concat(new Uint8Array([0]),
      await labeledExtract(EMPTY, HPKE_SUITE, "psk_id_hash", EMPTY),
      await labeledExtract(EMPTY, HPKE_SUITE, "info_hash", info));
    var secret = await labeledExtract(shared, HPKE_SUITE, "secret", EMPTY);
    var key = await labeledExpand(secret, HPKE_SUITE, "key", context, 32);
    var nonce = await labeledExpand(secret, HPKE_SUITE, "base_nonce", context, 12);
    var aes = await subtle.importKey("raw", key, { name: "AES-GCM" }, false, ["decrypt"]);
    return new Uint8Array(await subtle.decrypt({ name: "AES-GCM", iv: nonce, additionalData: EMPTY },
      aes, ciphertext));
  }

  // --- generate and register --------------------------------------------------------------
  function setUpKeygen(form) {
    var generated = null;
    var button = document.getElementById("generate-key");
    var link = document.getElementById("key-download");
    var result = document.getElementById("generate-result");
    var saved = document.getElementById("saved-key-file");
    var savedResult = document.getElementById("saved-result");
    var field = form.querySelector("textarea[name=public_key]");
    if (!subtle) { show(result, form.getAttribute("data-msg-no-crypto")); button.disabled = true; return; }
    button.addEventListener("click", async function () {
      var pair = await subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, true, ["deriveBits"]);
      var publicRaw = new Uint8Array(await subtle.exportKey("raw", pair.publicKey));
      var pkcs8 = new Uint8Array(await subtle.exportKey("pkcs8", pair.privateKey));
      var id = await keyId(publicRaw);
      var doc = {
        format: KEY_FORMAT, curve: "P-256", key_id: id,
        holder: form.getAttribute("data-holder"), site: form.getAttribute("data-site"),
        created_at: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
        public_key: b64(publicRaw), private_key_pkcs8: b64(pkcs8)
      };
      generated = doc.public_key;
      var blob = new Blob([JSON.stringify(doc, null, 1) + "\n"], { type: "application/json" });
      if (link.href) { URL.revokeObjectURL(link.href); }
      link.href = URL.createObjectURL(blob);
      link.download = "opening-key-" + doc.holder + "-" + id + ".json";
      link.hidden = false;
      link.click();
      show(result, fill(form.getAttribute("data-msg-saved"), { key: id }));
      field.value = "";
      show(savedResult, "");
    });
    saved.addEventListener("change", async function () {
      field.value = "";
      try {
        var key = await loadKeyFile(await readFile(saved));
        var publicB64 = b64(key.publicRaw);
        if (generated && publicB64 !== generated) {
          show(savedResult, form.getAttribute("data-msg-mismatch"));
          return;
        }
        field.value = publicB64;
        show(savedResult, form.getAttribute("data-msg-ready") + " " + key.id);
      } catch (e) {
        show(savedResult, form.getAttribute("data-msg-not-key"));
      }
    });
  }

  function setUpCheck(box) {
    var input = box.querySelector("input[type=file]");
    var out = box.querySelector("[data-test=check-result]");
    input.addEventListener("change", async function () {
      try {
        var key = await loadKeyFile(await readFile(input));
        var want = box.getAttribute("data-key-id");
        show(out, key.id === want ? box.getAttribute("data-msg-ok")
          : fill(box.getAttribute("data-msg-other"), { got: key.id, want: want }));
      } catch (e) {
        show(out, box.getAttribute("data-msg-not-key"));
      }
    });
  }

  // --- present at an opening ----------------------------------------------------------------
  function setUpOpening(form) {
    var input = document.getElementById("opening-key-file");
    var error = document.getElementById("key-error");
    var progress = document.getElementById("key-progress");
    var shares = document.getElementById("shares");
    var busy = false;
    form.addEventListener("submit", async function (event) {
      if (busy || shares.value) { return; }  // already filled: let it go
      if (!input.files || !input.files.length) { return; }  // the offline file, or the server says what is missing
      event.preventDefault();
      if (!subtle) { show(error, form.getAttribute("data-msg-no-crypto")); return; }
      busy = true;
      show(error, "");
      show(progress, form.getAttribute("data-msg-working"));
      try {
        var key;
        try { key = await loadKeyFile(await readFile(input)); } catch (e) { throw new Error("not-key"); }
        var want = form.getAttribute("data-key-id");
        if (key.id !== want) {
          throw new Error(fill(form.getAttribute("data-msg-wrong-key"), { got: key.id, want: want }));
        }
        var response = await fetch(form.getAttribute("data-shares-url"), { credentials: "same-origin" });
        if (!response.ok) { throw new Error("failed"); }
        var request = await response.json();
        if (request.key_id !== key.id || request.public_key !== b64(key.publicRaw)) { throw new Error("no-open"); }
        var out = {};
        for (var i = 0; i < request.shares.length; i++) {
          var item = request.shares[i];
          var wrapped = unb64(item.wrapped);
          var info = text.encode("market/opening-share/v1|" + key.id + "|" + request.request_id + "|" +
            request.round + "|" + item.commitment);
          var share;
          try {
            share = await hpkeOpen(key.privateKey, key.publicRaw, wrapped.slice(0, 65), wrapped.slice(65), info);
          } catch (e) { throw new Error("no-open"); }
          out[item.commitment] = b64(share);
        }
        shares.value = JSON.stringify({
          format: SHARES_FORMAT, request_id: request.request_id, round: request.round,
          key_id: key.id, shares: out
        });
        input.value = "";  // the key file is not part of the form; be explicit about it
        form.submit();
      } catch (e) {
        var messages = {
          "not-key": form.getAttribute("data-msg-not-key"),
          "no-open": form.getAttribute("data-msg-no-open"),
          "failed": form.getAttribute("data-msg-failed")
        };
        show(progress, "");
        show(error, messages[e.message] || e.message);
        busy = false;
      }
    });
  }

  document.querySelectorAll("form[data-keygen]").forEach(setUpKeygen);
  document.querySelectorAll("[data-check-key]").forEach(setUpCheck);
  document.querySelectorAll("form[data-opening]").forEach(setUpOpening);
})();
