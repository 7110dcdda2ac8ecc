// The portal page: start a verification, show the QR with a countdown, learn the
// result by long-polling the portal (no reload), then show the name and claims.
// The same-device link starts a session of its own whose wallet comes back to this
// page with a one-time response code in the fragment (HAIP); only that code, with the
// ticket this browser kept, gets the claims. The copied link is the QR's session.
// Every value is written with textContent: nothing from the network becomes markup.
"use strict";
(function () {
  var site = document.body.getAttribute("data-site");
  var messages = {
    expired: ["QR 코드의 유효 시간이 지났습니다. 다시 시도하세요.", "The QR code expired. Please start again."],
    consent: ["모바일 신분증 앱에서 정보 제공에 동의하지 않았습니다.", "You declined to share your data in the mobile ID app."],
    suspended: ["이 모바일 신분증은 일시 정지되었습니다. 발급 기관에 문의하세요.", "This mobile ID is suspended. Please contact the issuing office."],
    revoked: ["이 모바일 신분증은 폐기되었습니다.", "This mobile ID has been revoked."],
    withheld: ["본인 확인 결과는 지갑 앱이 돌아온 화면에 표시됩니다.", "The result is shown on the page the wallet app returned to."],
    refused: ["이 서비스는 요청한 정보를 받을 수 없도록 등록되어 있습니다.", "This service is not registered for the requested information."],
    failed: ["본인 확인에 실패했습니다.", "The verification failed."],
    network: ["서버에 연결할 수 없습니다.", "The server cannot be reached."]
  };
  var timer = null, deadline = 0, done = false;
  function $(id) { return document.getElementById(id); }

  function showError(reason, code) {
    var m = messages[reason] || messages.failed;
    var box = $("status-box");
    box.textContent = "";
    box.className = "error";
    box.setAttribute("data-reason", reason);
    var p1 = document.createElement("p"); p1.textContent = m[0];
    var p2 = document.createElement("p"); p2.className = "en"; p2.textContent = m[1] + (code ? " (" + code + ")" : "");
    box.appendChild(p1); box.appendChild(p2);
    $("qr-box").hidden = true;
    $("start-box").hidden = false;
    stopTimer();
  }

  function stopTimer() { if (timer) { clearInterval(timer); timer = null; } }

  function tick() {
    var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    $("countdown").textContent = String(left);
    if (left <= 0 && !done) { done = true; showError("expired"); }
  }

  function showResult(r) {
    done = true;
    stopTimer();
    $("qr-box").hidden = true;
    $("status-box").textContent = "";
    $("status-box").className = "";
    $("name").textContent = r.name || "";
    var dl = $("claims");
    dl.textContent = "";
    // labels and value words come from the card type (r.shown)
    var shown = r.shown || Object.keys(r.claims || {}).map(function (k) {
      return { claim: k, label: k, value: String(r.claims[k]) };
    });
    shown.forEach(function (c) {
      var dt = document.createElement("dt"); dt.textContent = c.label;
      var dd = document.createElement("dd"); dd.textContent = c.value;
      dt.setAttribute("data-claim", c.claim);
      dl.appendChild(dt); dl.appendChild(dd);
    });
    if (r.certificate && $("certificate")) {
      $("cert-number").textContent = r.certificate.number;
      var blob = new Blob([r.certificate.html], { type: "text/html" });
      $("cert-link").href = URL.createObjectURL(blob);
      $("certificate").hidden = false;
    }
    $("result-box").hidden = false;
  }

  function poll(ticket, code) {
    if (done) return;
    fetch("/api/v1/result?site=" + encodeURIComponent(site) + "&ticket=" + encodeURIComponent(ticket) +
          (code ? "&response_code=" + encodeURIComponent(code) : ""),
          { credentials: "same-origin", cache: "no-store" })
      .then(function (res) {
        if (res.status === 503 || res.status === 429) { // busy: come back when told
          var secs = parseInt(res.headers.get("Retry-After"), 10) || 2;
          setTimeout(function () { poll(ticket, code); }, secs * 1000);
          return null;
        }
        return res.json();
      })
      .then(function (r) {
        if (done || !r) return;
        if (r.status === "pending") return poll(ticket, code);
        if (r.status === "verified" && r.reason === "withheld") { done = true; return showError("withheld"); }
        if (r.status === "verified") return showResult(r);
        done = true;
        showError(r.reason || "failed", r.error);
      })
      .catch(function () { if (!done) setTimeout(function () { poll(ticket, code); }, 2000); });
  }

  function start() {
    done = false;
    $("result-box").hidden = true;
    $("status-box").textContent = "";
    $("status-box").className = "";
    fetch("/api/v1/start/" + encodeURIComponent(site), {
      method: "POST", headers: { "Content-Type": "application/json" }, body: "{}",
      credentials: "same-origin"
    })
      .then(function (res) { return res.json().then(function (j) { return [res.status, j]; }); })
      .then(function (sj) {
        var j = sj[1];
        if (sj[0] !== 200) return showError(sj[0] === 403 ? "refused" : "failed", j.error);
        $("qr").src = j.qr_png;
        $("same-device").href = j.same_device_link;
        deadline = Date.now() + 1000 * j.seconds_left;
        $("start-box").hidden = true;
        $("qr-box").hidden = false;
        tick();
        timer = setInterval(tick, 1000);
        poll(j.ticket);
      })
      .catch(function () { showError("network"); });
  }

  // Copy the same-device link (for a wallet on another screen of this computer). The
  // clipboard API needs a secure context; plain http on loopback falls back to a
  // selected text field.
  function copyLink() {
    var link = $("same-device").href;
    var said = function (ok) {
      $("copy-state").textContent = ok ? "복사됨 Copied" : "복사하지 못했습니다 Could not copy";
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(link).then(function () { said(true); }, function () { said(false); });
      return;
    }
    var t = document.createElement("textarea");
    t.value = link;
    document.body.appendChild(t);
    t.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    document.body.removeChild(t);
    said(ok);
  }

  // Open the wallet on this device: a session of its own with this page as the
  // wallet's way back; the ticket waits in this browser for the response code.
  var stored = "mobid-same-device:" + site;
  function sameDevice(ev) {
    ev.preventDefault();
    fetch("/api/v1/start/" + encodeURIComponent(site), {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ same_device: true }), credentials: "same-origin"
    })
      .then(function (res) { return res.json().then(function (j) { return [res.status, j]; }); })
      .then(function (sj) {
        if (sj[0] !== 200) return showError(sj[0] === 403 ? "refused" : "failed", sj[1].error);
        localStorage.setItem(stored, sj[1].ticket);
        window.location.href = sj[1].same_device_link;
      })
      .catch(function () { showError("network"); });
  }

  // Back from the wallet: #response_code=... with the ticket kept above, on a fresh
  // load of the page or into this very page (only its fragment changes).
  function returned() {
    var m = /(?:^#|&)response_code=([A-Za-z0-9_-]+)/.exec(window.location.hash);
    var ticket = localStorage.getItem(stored);
    if (!m) return;
    history.replaceState(null, "", window.location.pathname + window.location.search);
    stopTimer();
    done = false;
    $("qr-box").hidden = true;
    if (!ticket) return showError("withheld");
    localStorage.removeItem(stored);
    $("start-box").hidden = true;
    poll(ticket, m[1]);
  }

  $("verify").addEventListener("click", start);
  $("same-device").addEventListener("click", sameDevice);
  $("copy-link").addEventListener("click", copyLink);
  window.addEventListener("hashchange", returned);
  returned();
})();
