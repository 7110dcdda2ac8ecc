// The citizen's wallet page. It holds no key, PIN or credential: every step runs in
// the mobid process behind /api/; a PIN typed here goes with the one request that
// needs it and the field is cleared at once. Nothing is written to localStorage or
// sessionStorage.
'use strict';
(function () {
  const $ = (id) => document.getElementById(id);
  let csrf = '';
  let labels = {};   // claim name -> {ko, en, sensitive, options}
  let types = {};    // doctype or vct -> card type
  let cards = [], history = [];
  let pinAction = null;
  let pendingUri = '';

  // Words for the stable error codes, with the code itself shown underneath.
  const words = {
    PIN_WRONG: '잘못된 PIN입니다. Wrong PIN.',
    WALLET_LOCKED: '지갑이 잠겼습니다. The wallet is locked.',
    PIN_TOO_WEAK: '너무 쉬운 PIN입니다 (예: 123456, 111111). The PIN is too easy to guess.',
    RP_NOT_REGISTERED: '등록되지 않은 곳입니다. 정보를 보내지 않았습니다. This site is not registered with the ministry: nothing was sent.',
    CLAIM_NOT_ALLOWED: '등록된 것보다 많은 정보를 요청했습니다. The site asks for more than it is registered for: nothing was sent.',
    NOT_FOUND: '찾을 수 없습니다. Not found.',
    FETCH_FAILED: '서버에 연결하지 못했거나 서버가 거절했습니다. The server could not be reached or refused.',
    MALFORMED: '읽을 수 없는 링크 또는 응답입니다. The link or an answer could not be read.',
    UNAUTHENTICATED: '세션이 끝났습니다. 시작할 때 표시된 링크로 다시 여세요. The session ended: open the link printed at start again.',
    CSRF: '요청이 거절되었습니다. 페이지를 다시 여세요. The request was refused: reload the page.',
    INVALID_ARG: '입력을 확인하세요. Check what you entered.',
    NO_CREDENTIAL: '요청에 맞는 신분증이 없습니다. No card matches the request.',
    CONSENT_DENIED: '요청 내용이 바뀌었습니다. 다시 시도하세요. The request changed: try again.',
    EXPIRED: '요청이 만료되었습니다. The request expired.',
    UNTRUSTED_ISSUER: '신뢰할 수 없는 인증서입니다. The certificate is not trusted.',
    SIGNATURE_INVALID: '서명이 올바르지 않습니다. The signature is not valid.',
    INSECURE_TRANSPORT: '안전하지 않은 주소입니다. The address is not secure (plain http).',
    TOKEN_INVALID: '발급 코드가 틀렸거나 이미 사용되었습니다. The transaction code is wrong or the offer was used.',
  };

  function showError(e) {
    const code = (e && e.error) || 'ERROR';
    $('error-text').textContent = (words[code] || '오류가 났습니다. Something failed.') +
      (e && e.detail ? ' — ' + e.detail : '');
    $('error-code').textContent = code;
    $('error').hidden = false;
  }
  function clearError() { $('error').hidden = true; }

  async function api(method, path, body, raw) {
    const opt = { method, credentials: 'same-origin', headers: {} };
    if (method === 'POST') {
      opt.headers['X-CSRF-Token'] = csrf;
      if (raw) { opt.headers['Content-Type'] = 'image/png'; opt.body = raw; }
      else { opt.headers['Content-Type'] = 'application/json'; opt.body = JSON.stringify(body || {}); }
    }
    const r = await fetch(path, opt);
    let j = {};
    try { j = await r.json(); } catch (x) { j = { error: 'HTTP_' + r.status }; }
    if (!r.ok) throw j;
    return j;
  }

  function show(name) {
    document.querySelectorAll('[data-screen]').forEach((s) => { s.hidden = s.id !== 's-' + name; });
    const h = $('s-' + name).querySelector('h1');
    if (h) { h.tabIndex = -1; h.focus(); }
    document.title = (h ? h.textContent.trim() : '') + ' — 모바일 신분증 Mobile ID';
  }

  function label(name) {
    const l = labels[name];
    return l ? l.ko + ' ' + l.en : name;
  }
  function value(name, v) {
    const l = labels[name];
    if (l && l.options) {
      const o = l.options.find((x) => String(x.value) === String(v));
      if (o) return o.ko + ' ' + o.en;
    }
    if (v === true) return '예 Yes';
    if (v === false) return '아니오 No';
    if (typeof v === 'object') return JSON.stringify(v);
    return String(v);
  }
  // A card's type by its doctype or vct; a vct made from the issuer's URL
  // ("{issuer_url}/vct/resident_card/1") is matched by what follows the URL.
  function typeOf(c) {
    if (types[c.type]) return types[c.type];
    const t = Object.keys(types).find((k) => k.startsWith('{issuer_url}') && String(c.type).endsWith(k.slice(12)));
    return t ? types[t] : { id: c.type, display: { ko: c.type, en: '' } };
  }

  function portraitSrc(p) {
    if (typeof p !== 'string' || p.length < 16) return '';
    const b = p.replace(/-/g, '+').replace(/_/g, '/');
    return 'data:' + (b.startsWith('iVBOR') ? 'image/png' : 'image/jpeg') + ';base64,' + b;
  }

  // Active unless the status list says otherwise or the validity has passed.
  function status(c) {
    const s = c.status || 'active';
    const exp = c.claims && (c.claims.expiry_date || c.claims.valid_until);
    if (s === 'active' && exp && String(exp).slice(0, 10) < new Date().toISOString().slice(0, 10)) return 'expired';
    return s;
  }
  const statusWords = { active: '유효 Active', suspended: '정지 Suspended', revoked: '폐지 Revoked', expired: '만료 Expired', unknown: '확인 불가 Unknown' };

  function cardNode(c, asButton) {
    const k = c.claims || {};
    const t = typeOf(c);
    const el = document.createElement(asButton ? 'button' : 'div');
    el.className = 'idcard';
    if (asButton) { el.type = 'button'; el.addEventListener('click', () => detail(c)); }
    const st = status(c);
    const head = document.createElement('div');
    head.className = 'type';
    head.append(t.display.ko + ' ' + (t.display.en || ''));
    const badge = document.createElement('span');
    badge.className = 'badge ' + st;
    badge.textContent = statusWords[st] || st;
    badge.setAttribute('data-status', st);
    head.append(badge);
    el.append(head);
    const src = portraitSrc(k.portrait);
    if (src) {
      const img = document.createElement('img');
      img.src = src; img.alt = '사진 Portrait';
      el.append(img);
    } else {
      const d = document.createElement('div'); d.className = 'noportrait'; el.append(d);
    }
    const info = document.createElement('div');
    const hangul = (k.family_name_national_character || k.family_name_hangul || '') +
      (k.given_name_national_character || k.given_name_hangul || '');
    const latin = [k.family_name, k.given_name].filter(Boolean).join(' ');
    const add = (cls, text) => { const p = document.createElement('div'); p.className = cls; p.textContent = text; info.append(p); };
    if (hangul) add('name', hangul);
    add(hangul ? 'latin' : 'name', latin);
    if (k.birth_date) add('meta', label('birth_date') + ': ' + k.birth_date);
    if (k.issuing_office || k.issuing_authority) add('meta', (k.issuing_office ? label('issuing_office') : label('issuing_authority')) + ': ' + (k.issuing_office || k.issuing_authority));
    const until = k.expiry_date || k.valid_until || c.valid_until;
    if (until) add('meta', '유효기간 Valid until: ' + String(until).slice(0, 10));
    add('meta', (c.format === 'mso_mdoc' ? 'ISO mdoc' : 'SD-JWT VC') + ' · ' + c.unused + '/' + c.total + ' 남음 left');
    el.append(info);
    return el;
  }

  function renderCards() {
    const box = $('cards');
    box.replaceChildren();
    cards.forEach((c) => box.append(cardNode(c, true)));
    $('no-cards').hidden = cards.length > 0;
  }

  function detail(c) {
    const t = typeOf(c);
    $('detail-title').textContent = t.display.ko + ' ' + (t.display.en || '');
    $('detail-card').replaceChildren(cardNode(c, false));
    $('detail-copies').textContent = '남은 일회용 사본 Single-use copies left: ' + c.unused + ' / ' + c.total;
    const dl = $('detail-claims');
    dl.replaceChildren();
    Object.keys(c.claims || {}).forEach((n) => {
      if (n === 'portrait' || n === 'status' || n.startsWith('_')) return;
      const dt = document.createElement('dt'); dt.textContent = label(n);
      if (labels[n] && labels[n].sensitive) dt.className = 'sensitive';
      const dd = document.createElement('dd'); dd.textContent = value(n, c.claims[n]);
      dl.append(dt, dd);
    });
    show('detail');
  }

  function renderHistory() {
    const ol = $('history');
    ol.replaceChildren();
    history.slice().reverse().forEach((h) => {
      const li = document.createElement('li');
      const when = document.createElement('div'); when.textContent = new Date(h.at).toLocaleString('ko-KR') + ' (' + h.at + ')';
      const who = document.createElement('strong'); who.textContent = h.rp;
      const what = document.createElement('div'); what.textContent = (h.claims || []).map(claimWords).join(', ');
      li.append(when, who, what);
      ol.append(li);
    });
    $('no-history').hidden = history.length > 0;
  }

  // "<type>: <claim path>" -> the claim's name as the card type spells it.
  function claimName(s) {
    const path = String(s).slice(String(s).lastIndexOf(': ') + 2).trim();
    const dotted = path.replace(/[/,]/g, '.');
    if (labels[dotted]) return dotted;
    const p = dotted.split('.');
    for (let i = 1; i < p.length; i++) if (labels[p.slice(i).join('.')]) return p.slice(i).join('.');
    return p[p.length - 1];
  }
  function claimWords(s) { return label(claimName(s)); }

  // An mdoc's claims come by namespace: one flat set of claim names for the page.
  function flat(claims) {
    const out = {};
    Object.keys(claims || {}).forEach((k) => {
      const v = claims[k];
      if (k.includes('.') && v && typeof v === 'object' && !Array.isArray(v)) Object.assign(out, v);
      else if (k !== 'status' && k !== 'cnf' && v && typeof v === 'object' && !Array.isArray(v))
        Object.keys(v).forEach((n) => { out[k + '.' + n] = v[n]; });
      else out[k] = v;
    });
    return out;
  }

  async function refreshCards() {
    const j = await api('GET', '/api/cards');
    cards = (j.cards || []).map((c) => Object.assign(c, { claims: flat(c.claims) }));
    history = j.history || [];
    // both formats of one card share its state: an mdoc (status in its MSO) shows the
    // state its SD-JWT twin of the same card type got from the status list
    const byType = {};
    cards.forEach((c) => { if (c.status) byType[typeOf(c).id] = c.status; });
    cards.forEach((c) => { if (!c.status && byType[typeOf(c).id]) c.status = byType[typeOf(c).id]; });
    renderCards(); renderHistory();
  }

  async function start() {
    clearError();
    const s = await api('GET', '/api/state');
    csrf = s.csrf;
    $('nav').hidden = true;
    $('lock-state').textContent = s.locked ? '잠김 (PIN 5회 오류) Locked after 5 wrong PINs'
      : '잠기지 않음, 남은 시도 ' + s.tries_left + '회 Not locked, ' + s.tries_left + ' tries left';
    if (!s.exists) return show('setup');
    if (s.locked) { $('nav').hidden = false; return show('locked'); }
    if (!s.unlocked) return askPin('지갑 열기 Open the wallet', async (pin) => {
      await api('POST', '/api/unlock', { pin }); await afterUnlock();
    });
    await afterUnlock();
  }
  async function afterUnlock() { $('nav').hidden = false; await refreshCards(); show('cards'); }

  function askPin(why, action) {
    $('pin-why').textContent = why;
    $('pin').value = '';
    $('pin-left').textContent = '';
    pinAction = action;
    show('pin');
    $('pin').focus();
  }

  async function run(title, fn) {
    clearError();
    $('progress-title').textContent = title;
    show('progress');
    try { await fn(); } catch (e) { await failed(e); }
  }
  async function failed(e) {
    showError(e);
    if (e.error === 'WALLET_LOCKED') { pinAction = null; await start(); return showError(e); }
    if (e.error === 'UNAUTHENTICATED') return show('setup');
    if (e.error === 'RP_NOT_REGISTERED' || e.error === 'CLAIM_NOT_ALLOWED' || e.error === 'SUBJECT_MISMATCH' || e.error === 'UNTRUSTED_ISSUER') {
      $('refused-text').textContent = words[e.error] || e.detail || '';
      $('refused-code').textContent = e.error + (e.detail ? ': ' + e.detail : '');
      return show('refused');
    }
    if (e.error === 'PIN_WRONG' && pinAction) { show('pin'); $('pin-left').textContent = e.detail || ''; return; }
    show(cards.length || $('nav').hidden === false ? 'cards' : 'setup');
  }

  // A photo (any format the browser reads) re-encoded as PNG for the QR reader.
  function toPng(file) {
    return new Promise((resolve, reject) => {
      const url = URL.createObjectURL(file);
      const img = new Image();
      img.onload = () => {
        const cv = document.createElement('canvas');
        cv.width = img.naturalWidth; cv.height = img.naturalHeight;
        cv.getContext('2d').drawImage(img, 0, 0);
        URL.revokeObjectURL(url);
        cv.toBlob((b) => (b ? resolve(b) : reject({ error: 'MALFORMED' })), 'image/png');
      };
      img.onerror = () => { URL.revokeObjectURL(url); reject({ error: 'MALFORMED', detail: 'not an image' }); };
      img.src = url;
    });
  }
  async function linkFrom(fileInput, textArea) {
    const f = fileInput.files && fileInput.files[0];
    if (f) {
      const j = await api('POST', '/api/qr', null, await toPng(f));
      textArea.value = j.text;
      fileInput.value = '';
    }
    return textArea.value.trim();
  }

  function wire() {
    document.querySelectorAll('[data-go]').forEach((b) => b.addEventListener('click', () => {
      clearError();
      const to = b.getAttribute('data-go');
      if (to === 'add') { $('add-uri').value = ''; $('add-tx').value = ''; }
      if (to === 'present') $('present-uri').value = '';
      show(to);
    }));
    const pad = $('pad');
    ['1', '2', '3', '4', '5', '6', '7', '8', '9', '⌫', '0'].forEach((d) => {
      const b = document.createElement('button');
      b.type = 'button'; b.textContent = d;
      b.setAttribute('aria-label', d === '⌫' ? '지우기 Delete' : d);
      b.addEventListener('click', () => {
        const p = $('pin');
        p.value = d === '⌫' ? p.value.slice(0, -1) : (p.value + d).slice(0, 6);
      });
      pad.append(b);
    });
    $('f-setup').addEventListener('submit', (ev) => {
      ev.preventDefault();
      const pin = $('pin-new').value, pin2 = $('pin-again').value;
      $('pin-new').value = ''; $('pin-again').value = '';
      run('지갑 만드는 중 Creating the wallet', async () => { await api('POST', '/api/init', { pin, pin2 }); await afterUnlock(); });
    });
    $('f-pin').addEventListener('submit', (ev) => {
      ev.preventDefault();
      const pin = $('pin').value;
      $('pin').value = '';
      const act = pinAction;
      run('확인 중 Checking', async () => { await act(pin); pinAction = null; });
    });
    $('pin-cancel').addEventListener('click', () => { pinAction = null; start().catch(showError); });
    $('f-add').addEventListener('submit', (ev) => {
      ev.preventDefault();
      run('신분증 받는 중 Receiving the card', async () => {
        const uri = await linkFrom($('add-qr'), $('add-uri'));
        const tx = $('add-tx').value.trim();
        $('add-tx').value = '';
        askPin('신분증을 지갑에 넣으려면 PIN을 입력하세요. Enter your PIN to store the card.', async (pin) => {
          $('progress-text').textContent = '발급 기관에서 신분증을 받는 중입니다. Fetching the batch of cards from the issuer.';
          const r = await api('POST', '/api/receive', { uri, tx_code: tx, pin });
          await refreshCards();
          $('result-title').textContent = '신분증을 받았습니다 Card received';
          $('result-title').className = 'ok';
          $('result-text').textContent = (r.received || []).map((x) => typeOf(x).display.ko + ' ' + (typeOf(x).display.en || '') + ' (' + x.format + ', ' + x.count + ')').join(' · ');
          $('result-claims').replaceChildren();
          show('result');
        });
      });
    });
    $('f-present').addEventListener('submit', (ev) => {
      ev.preventDefault();
      run('요청 확인 중 Checking the request', async () => {
        pendingUri = await linkFrom($('present-qr'), $('present-uri'));
        const c = await api('POST', '/api/present/check', { uri: pendingUri });
        $('c-name').textContent = c.rp_name || '';
        $('c-id').textContent = c.rp_id || '';
        $('c-client').textContent = c.client_id || '';
        $('c-subject').textContent = c.subject || '';
        $('c-basis').textContent = c.legal_basis || '—';
        const ul = $('c-claims');
        ul.replaceChildren();
        (c.claims || []).forEach((s) => {
          const li = document.createElement('li');
          const n = claimName(s);
          li.textContent = label(n);
          if (labels[n] && labels[n].sensitive) {
            li.className = 'sensitive';
            li.append(' — 민감 정보 Sensitive');
          }
          ul.append(li);
        });
        show('consent');
      });
    });
    $('c-no').addEventListener('click', () => { pendingUri = ''; show('cards'); });
    $('c-yes').addEventListener('click', () => {
      askPin('정보를 제공하려면 PIN을 입력하세요. Enter your PIN to share these claims.', async (pin) => {
        $('progress-text').textContent = '보내는 중 Sending';
        const r = await api('POST', '/api/present', { uri: pendingUri, pin });
        await refreshCards();
        $('result-title').textContent = '제공했습니다 Shared';
        $('result-title').className = 'ok';
        $('result-text').textContent = r.rp + '에 다음 정보를 보냈습니다. These claims were sent to ' + r.rp + ':';
        const ul = $('result-claims');
        ul.replaceChildren();
        (r.claims || []).forEach((s) => { const li = document.createElement('li'); li.textContent = claimWords(s); ul.append(li); });
        show('result');
      });
    });
    $('lock-now').addEventListener('click', () => run('잠그는 중 Locking', async () => { await api('POST', '/api/lock', {}); await start(); }));
    $('f-delete').addEventListener('submit', (ev) => {
      ev.preventDefault();
      if (!$('delete-sure').checked) return;
      run('삭제 중 Deleting', async () => { await api('POST', '/api/delete', { confirm: 'delete' }); cards = []; history = []; $('delete-sure').checked = false; await start(); });
    });
  }

  async function loadLabels() {
    const ct = await api('GET', '/api/card-types');
    (ct.card_types || []).forEach((t) => {
      if (t.doctype) types[t.doctype] = t;
      if (t.vct) types[t.vct] = t;
      (t.claims || []).forEach((c) => {
        const l = { ko: c.display.ko, en: c.display.en, sensitive: !!c.sensitive, options: c.options };
        if (!labels[c.name]) labels[c.name] = l;
        const sd = Array.isArray(c.sd_jwt) ? c.sd_jwt.join('.') : c.sd_jwt;
        if (sd && !labels[sd]) labels[sd] = l;
      });
    });
  }

  document.addEventListener('DOMContentLoaded', () => {
    wire();
    loadLabels().then(start).catch((e) => { showError(e); });
  });
})();
