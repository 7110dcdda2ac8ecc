// Office console: inline eligibility hints on the new-application form and the
// portrait upload (read into a hidden base64url field). The server checks again;
// these hints only save a round trip. No markup is built from input: textContent only.
"use strict";
(function () {
  function $(id) { return document.getElementById(id); }
  function say(id, ok, text) {
    var el = $("check-" + id);
    if (!el) return;
    el.textContent = text;
    el.className = "check " + (text ? (ok ? "good" : "bad") : "");
  }
  function today() { return new Date().toISOString().slice(0, 10); }
  function age(birth) {
    var t = today(), y = Number(t.slice(0, 4)) - Number(birth.slice(0, 4));
    return t.slice(5) < birth.slice(5) ? y - 1 : y;
  }
  function check() {
    var b = $("f-birth_date"), p = $("f-passport_expiry"), n = $("f-nationality"),
        r = $("f-residence_status"), c = $("f-country_of_residence");
    if (b && b.value) {
      var ct = document.querySelector("input[name=cardtype]");
      var min = Number((ct && ct.getAttribute("data-min-age")) || 14), a = age(b.value);
      say("birth_date", a >= min, a >= min ? "만 " + a + "세 — 신청 가능 (age " + a + ", eligible)"
                                          : "만 " + min + "세 미만은 신청할 수 없습니다 (under " + min + ": not eligible)");
    }
    if (p && p.value)
      say("passport_expiry", p.value > today(), p.value > today() ? "유효 (valid)"
                                                 : "여권이 만료되었습니다 (passport expired)");
    if (n && n.value)
      say("nationality", n.value === "KR", n.value === "KR" ? "" : "대한민국 국민만 신청할 수 있습니다 (nationals only)");
    if (r && c)
      say("residence_status", r.value === "permanent" && c.value !== "KR",
          r.value === "permanent" && c.value !== "KR" ? "" : "해외 영주권자만 신청할 수 있습니다 (permanent residents abroad only)");
  }
  function b64url(bytes) {
    var s = "";
    for (var i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function portrait() {
    var f = $("portrait-file").files[0];
    if (!f) return;
    if (f.size > 40 * 1024) {
      say("portrait", false, "사진이 너무 큽니다 (the portrait is larger than 40 KB)");
      $("f-portrait").value = "";
      return;
    }
    f.arrayBuffer().then(function (buf) {
      $("f-portrait").value = b64url(new Uint8Array(buf));
      $("portrait-preview").src = URL.createObjectURL(f);
      $("portrait-preview").hidden = false;
      say("portrait", true, "사진 첨부됨 (portrait attached)");
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    ["f-birth_date", "f-passport_expiry", "f-nationality", "f-residence_status", "f-country_of_residence"]
      .forEach(function (id) { var el = $(id); if (el) el.addEventListener("input", check); });
    if ($("portrait-file")) $("portrait-file").addEventListener("change", portrait);
    check();
  });
})();
