// Shared by the browser tests (run.mjs, console.mjs): a free port base below the
// ephemeral range, `mobid up` on it, the wallet CLI as the phone, checks that count
// failures, screenshots into the test's artifact folder, and the console's form steps.
import { chromium } from "playwright-core";
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));

function portFree(port) {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
}

// A port base whose four service ports (and the two the CSRF test uses) are free now,
// below the kernel's ephemeral range (32768+) so no outgoing connection can hold one.
async function freePortBase() {
  for (let tries = 0; tries < 50; tries++) {
    const base = 20000 + Math.floor(Math.random() * 12000);
    const ports = [base, base + 1, base + 2, base + 3, base + 50, base + 51];
    if ((await Promise.all(ports.map(portFree))).every(Boolean)) return base;
  }
  throw new Error("no free port base found");
}

// One test's world: artifacts go to tests/browser/<artDir>, temporary files to a
// fresh folder removed by finish().
export async function harness(artDir) {
  const h = {
    BIN: path.resolve(process.env.MOBID_BIN || path.join(here, "../../build/mobid")),
    ART: path.join(here, artDir),
    TMP: fs.mkdtempSync(path.join(os.tmpdir(), "mobid-browser-")),
    PORT: await freePortBase(),
    failures: 0, shotNo: 0, up: null, context: null,
  };
  fs.mkdirSync(h.ART, { recursive: true });

  h.check = (cond, what) => {
    console.log(`${cond ? "ok  " : "FAIL"} ${what}`);
    if (!cond) h.failures++;
    return cond;
  };
  h.must = (cond, what) => {
    if (!h.check(cond, what)) throw new Error(`cannot go on: ${what}`);
  };
  h.shot = async (page, name) => {
    const file = path.join(h.ART, `${String(++h.shotNo).padStart(2, "0")}-${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
  };

  h.startUp = () => new Promise((resolve, reject) => {
    h.up = spawn(h.BIN, ["up", "--dir", path.join(h.TMP, "up"), "--port-base", String(h.PORT), "--json"],
                 { stdio: ["ignore", "pipe", "inherit"] });
    let buf = "";
    const timer = setTimeout(() => reject(new Error("mobid up: not ready after 120 s")), 120000);
    h.up.on("exit", (code) => reject(new Error(`mobid up exited with ${code}`)));
    h.up.stdout.on("data", (d) => {
      buf += d;
      let nl;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          const ev = JSON.parse(line);
          if (ev.event === "ready") { clearTimeout(timer); resolve(ev); }
        } catch { /* prose */ }
      }
    });
  });

  // up.json with what an operator hands out added: an API key per relying party (from
  // rp/<id>.api-key) and, for the accounts named, a password: their one-time password
  // (one-time-passwords.json) traded at a first sign-in over the API for a new one.
  h.state = async (urls, usernames) => {
    const dir = path.join(h.TMP, "up");
    const state = JSON.parse(fs.readFileSync(path.join(dir, "up.json"), "utf8"));
    const once = JSON.parse(fs.readFileSync(path.join(dir, "one-time-passwords.json"), "utf8"));
    for (const rp of state.relying_parties)
      rp.api_key = fs.readFileSync(path.join(dir, "rp", `${rp.id}.api-key`), "utf8").trim();
    for (const who of [state.admin, ...state.officers].filter((a) => usernames.includes(a.username))) {
      const first = once.accounts.find((a) => a.username === who.username);
      const chosen = `Chosen-at-first-signin-${h.PORT}`;
      const r = await fetch(`${urls.issuer}/api/v1/tokens`, { method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ username: who.username, password: first && first.password, new_password: chosen }) });
      h.must(r.status === 201, `${who.username}: the first sign-in changes the one-time password (${r.status})`);
      who.password = chosen;
    }
    return state;
  };

  h.browser = async () => {
    h.context = await chromium.launchPersistentContext(path.join(h.TMP, "profile"), {
      executablePath: "/usr/bin/chromium", headless: true, viewport: { width: 1280, height: 900 },
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run"],
    });
    return h.context.pages()[0] || (await h.context.newPage());
  };

  // The wallet CLI; phone names the wallet file (a second phone for a reissue).
  h.wallet = (args, phone = "phone") => {
    const pki = path.join(h.TMP, "up", "pki");
    const pin = path.join(h.TMP, "pin");
    if (!fs.existsSync(pin)) fs.writeFileSync(pin, "482916\n", { mode: 0o600 });
    const base = ["wallet", "--wallet", path.join(h.TMP, `${phone}.wallet`), "--pin-file", pin,
                  "--yes", "--json"];
    if (args[0] === "init")
      base.push("--issuer-roots", `${pki}/iaca.pem`, "--rp-roots", `${pki}/rp-ca.pem`,
                "--registration-roots", `${pki}/iaca.pem`, "--scrypt-n", "16384");
    return new Promise((resolve) => {
      const p = spawn(h.BIN, [...base, ...args], { stdio: ["ignore", "pipe", "pipe"] });
      let out = "", err = "";
      p.stdout.on("data", (d) => (out += d));
      p.stderr.on("data", (d) => (err += d));
      p.on("exit", (code) => resolve({ code, out, err }));
    });
  };

  h.saveDataPng = (dataUri, file) => {
    const m = /^data:image\/png;base64,(.+)$/.exec(dataUri || "");
    h.must(m, `${path.basename(file)}: the page's QR is a PNG data URI`);
    fs.writeFileSync(file, Buffer.from(m[1], "base64"));
    return file;
  };

  h.finish = async () => {
    if (h.context) await h.context.close().catch(() => {});
    if (h.up) h.up.kill("SIGTERM");
    fs.rmSync(h.TMP, { recursive: true, force: true });
    console.log(h.failures ? `${h.failures} check(s) failed; screenshots in ${h.ART}`
                           : `all checks passed; screenshots in ${h.ART}`);
    return h.failures ? 1 : 0;
  };
  return h;
}

// ---- console steps ----

export async function signIn(page, urls, who) {
  await page.goto(`${urls.issuer}/console/signin`);
  await page.fill("#username", who.username);
  await page.fill("#password", who.password);
  const [resp] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith("/console/signin") && r.request().method() === "POST"),
    page.click("#signin"),
  ]);
  await page.waitForLoadState();
  return resp;
}

export async function signOut(page) {
  await Promise.all([page.waitForNavigation(), page.click("#signout")]);
}

const JPEG = "/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////////////////////////////////////////////////////////////////////////////////wAALCAABAAEBAREA/8QAFAABAAAAAAAAAAAAAAAAAAAAA//EABQQAQAAAAAAAAAAAAAAAAAAAAD/2gAIAQEAAD8AN//Z";

export async function fileApplication(page, urls, a) {
  await page.goto(`${urls.issuer}/console/applications/new`);
  for (const [k, v] of Object.entries(a)) await page.fill(`#f-${k}`, v);
  if (a.portrait !== undefined) return;
  await page.setInputFiles("#portrait-file", { name: "portrait.jpg", mimeType: "image/jpeg",
    buffer: Buffer.from(JPEG, "base64") });
  await page.waitForFunction(() => document.getElementById("f-portrait").value.length > 0);
  await Promise.all([page.waitForNavigation(), page.click("#file-application")]);
}

// The resident card's application fields, from the card type (etc/card-types.json).
const CARD = JSON.parse(fs.readFileSync(path.join(here, "../../etc/card-types.json"), "utf8"))
  .card_types.find((t) => t.id === "resident_card");
const FIELDS = CARD.application.map((f) => f.name);

// An applicant of the resident card, keyed by the card type's own field names: the
// plain family_name / given_name pair is Latin, a suffixed pair (family_name_hangul,
// ..._national_character) the Hangul name. who = {latin: [family, given], hangul: [...]}.
export function applicant(rrn, extra = {}, who = {}) {
  const exp = new Date(Date.now() + 5 * 365 * 86400e3).toISOString().slice(0, 10);
  const [lf, lg] = who.latin || ["Hong", "Gildong"];
  const [hf, hg] = who.hangul || ["홍", "길동"];
  const a = { birth_date: who.birth || "1990-03-01", [CARD.person_key]: rrn, nationality: "KR",
    country_of_residence: "US", passport_number: "M" + rrn.slice(-8), passport_expiry: exp };
  for (const f of FIELDS) {
    if (f === "family_name") a[f] = lf;
    else if (f === "given_name") a[f] = lg;
    else if (f.startsWith("family_name_")) a[f] = hf;
    else if (f.startsWith("given_name_")) a[f] = hg;
  }
  for (const k of Object.keys(a)) if (!FIELDS.includes(k)) delete a[k];
  return Object.assign(a, extra);
}

export async function step(page, name, fields = {}) {
  for (const [k, v] of Object.entries(fields)) {
    if (v === true) await page.check(`form[action$="/${name}"] [name="${k}"]`);
    else await page.fill(`form[action$="/${name}"] [name="${k}"]`, v);
  }
  return Promise.all([page.waitForNavigation(), page.click(`#do-${name}`)]);
}

// A form post as the page's own (its CSRF token), for actions the page does not offer.
export async function postForm(page, action, fields) {
  await Promise.all([page.waitForNavigation(), page.evaluate(([action, fields]) => {
    const f = document.createElement("form");
    f.method = "post";
    f.action = action;
    const all = Object.assign({ csrf: document.querySelector('input[name="csrf"]').value }, fields);
    for (const [k, v] of Object.entries(all)) {
      const i = document.createElement("input");
      i.name = k;
      i.value = v;
      f.appendChild(i);
    }
    document.body.appendChild(f);
    f.submit();
  }, [action, fields])]);
}
