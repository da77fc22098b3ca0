// Hourdini web app: every change goes through the JSON API (/api/v1) with the session cookie;
// pages are rendered on the server, and "live" regions are re-read when the server says
// something changed (Server-Sent Events at /app/events) or after the user changes something.
(() => {
  'use strict';
  const $ = (selector, root = document) => root.querySelector(selector);
  const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));
  const html = document.documentElement;

  // The browser's time zone, so the server groups days and writes times as the user lives them.
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  if (!document.cookie.split('; ').includes(`tz=${encodeURIComponent(zone)}`)) {
    document.cookie = `tz=${encodeURIComponent(zone)}; path=/; max-age=31536000; samesite=lax`;
  }
  if (html.dataset.tz && html.dataset.tz !== zone && !sessionStorage.getItem('hd-tz-reloaded')) {
    sessionStorage.setItem('hd-tz-reloaded', '1');
    location.reload();
    return;
  }

  // ---- talking to the API -------------------------------------------------------------
  async function api(method, path, body) {
    const init = { method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const response = await fetch(path, init);
    const text = await response.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch { data = null; }
    if (!response.ok) {
      const error = new Error((data && (data.detail || data.title)) || `The server answered ${response.status}.`);
      error.code = data && data.code;
      error.field = data && data.field; // the request field a refusal is about, to show it next to that field
      error.status = response.status;
      throw error;
    }
    return data;
  }

  function toast(message, kind = 'error') {
    const box = $('#toast');
    if (!box) return;
    box.textContent = message;
    box.dataset.kind = kind;
    box.hidden = false;
    clearTimeout(box.hideTimer);
    box.hideTimer = setTimeout(() => { box.hidden = true; }, 6000);
  }

  // ---- live regions -------------------------------------------------------------------
  let skew = 0; // how far this browser's clock is ahead of the server's
  function readSkew(doc) {
    const serverNow = Date.parse(doc.documentElement.dataset.serverNow || '');
    if (!Number.isNaN(serverNow)) skew = Date.now() - serverNow;
  }
  readSkew(document);

  let refreshing = null;
  let again = false;
  function refresh() {
    if (refreshing) { again = true; return refreshing; }
    refreshing = (async () => {
      do {
        again = false;
        const response = await fetch(location.href, { credentials: 'same-origin', headers: { Accept: 'text/html' } });
        if (response.redirected && new URL(response.url).pathname === '/login') { location.href = response.url; return; }
        if (!response.ok && response.status !== 404) return;
        const doc = new DOMParser().parseFromString(await response.text(), 'text/html');
        readSkew(doc);
        for (const region of $$('[data-live]')) {
          const fresh = doc.getElementById(region.id);
          if (!fresh || fresh.outerHTML === region.outerHTML) continue;
          const had = region.contains(document.activeElement);
          const focused = had ? focusKey(document.activeElement) : null;
          if (region.tagName === 'SELECT') fresh.value = region.value; // a live picker keeps the user's choice
          region.replaceWith(fresh);
          if (had) focusAfter({ key: focused, regions: [fresh.id] });
        }
        tick();
      } while (again);
    })().catch(() => {}).finally(() => { refreshing = null; });
    return refreshing;
  }

  function focusKey(element) {
    if (element.id) return `#${CSS.escape(element.id)}`;
    if (element.dataset.call) return `[data-call="${CSS.escape(element.dataset.call)}"][data-body="${CSS.escape(element.dataset.body || '')}"]`;
    return null;
  }

  // ---- focus after an action ---------------------------------------------------------
  // A button that did something is often replaced (Stop becomes Start timer) or gone (a dialog closed, a row ended), which
  // would drop the keyboard focus on <body>. Before each action we note where the user was; after it, if the focus was
  // lost, it goes to that element again, or to what opened the dialog or panel, or to the first control of the region that
  // changed, or to the page's heading, so keyboard and screen-reader users go on from where they were. Only the newest
  // plan counts: an action that ends after the user has started another (a slow Stop, then the + panel's form) must not
  // pull the focus back to where the older one began; if it lost the focus, the focus goes where the newest would put it.
  let newestPlan = { turn: 0 };
  function focusPlan(origin) {
    const dialog = origin.closest('dialog');
    const panel = origin.closest('[id]:not(dialog)');
    const opener = (dialog && dialog.opener) || (panel && $(`[aria-controls="${CSS.escape(panel.getAttribute('id'))}"]`)) || null;
    const regionOf = (element) => element && element.closest('[data-live]')?.id;
    newestPlan = { turn: newestPlan.turn + 1, origin, key: focusKey(origin), opener, openerKey: opener && focusKey(opener), regions: [regionOf(origin), regionOf(opener)].filter(Boolean) };
    return newestPlan;
  }
  function lost() {
    const active = document.activeElement;
    return !active || active === document.body || !active.isConnected || !!active.closest('[hidden], dialog:not([open])');
  }
  function visible(element) { return element && element.isConnected && element.getClientRects().length > 0 && !element.disabled; }
  function focusAfter(plan) {
    if (!lost()) return;
    if (plan.turn && plan.turn !== newestPlan.turn) plan = newestPlan; // an older action lost it: back to where the newest began
    const first = (id) => { const region = document.getElementById(id); return region && $$('button, a[href], [tabindex="-1"]', region).find(visible); };
    const target = [
      plan.origin, plan.key && $(plan.key), plan.opener, plan.openerKey && $(plan.openerKey),
      ...(plan.regions || []).map(first), $('#main h1'),
    ].find(visible);
    if (!target) return;
    if (!target.matches('a[href], button, input, select, textarea, [tabindex]')) target.tabIndex = -1;
    target.focus();
  }

  // A dialog gives the focus back to what opened it when it closes (×, Escape or a submit), or to its stand-in.
  function remember(dialog) {
    const active = document.activeElement;
    dialog.opener = active && active !== document.body ? active : $('[data-open="' + CSS.escape(dialog.id) + '"]');
  }
  document.addEventListener('close', (event) => {
    const dialog = event.target;
    if (dialog.tagName === 'DIALOG' && dialog.opener) focusAfter(focusPlan(dialog.opener));
  }, true);

  // ---- live clocks --------------------------------------------------------------------
  function clock(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    return `${Math.floor(s / 3600)}:${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
  }
  function tick() {
    const now = Date.now() - skew;
    for (const element of $$('[data-tick-at]')) {
      const at = Date.parse(element.dataset.tickAt);
      // data-tick-rate: how many running things add to the figure (a timer and a billed agent session at once: 2).
      const rate = Number(element.dataset.tickRate || 1);
      if (!Number.isNaN(at)) element.textContent = clock(Number(element.dataset.tickBase || 0) + rate * (now - at) / 1000);
    }
  }
  setInterval(tick, 1000);

  // ---- server-sent events: a change made anywhere (API, MCP, another node) --------------
  if ('liveStream' in html.dataset && 'EventSource' in window) {
    const events = new EventSource('/app/events');
    events.addEventListener('change', () => refresh());
    let connected = false; // after a reconnect, catch up on what happened while the stream was down
    events.addEventListener('open', () => { if (connected) refresh(); connected = true; });
  }

  // ---- forms --------------------------------------------------------------------------
  function localInstant(date, time) {
    const [y, m, d] = date.split('-').map(Number);
    const [hh, mm] = time.split(':').map(Number);
    return new Date(y, m - 1, d, hh, mm, 0, 0);
  }

  function bodyOf(form) {
    const body = {};
    for (const field of form.elements) {
      if (!field.name || field.disabled) continue;
      if (field.type === 'checkbox' && 'list' in field.dataset) { if (field.checked) (body[field.name] ??= []).push(field.value); continue; }
      if (field.type === 'checkbox') { body[field.name] = field.checked; continue; }
      if (field.type === 'radio') { if (field.checked) body[field.name] = field.value; continue; }
      const value = field.value.trim();
      if (value === '' && field.dataset.clear) { body[field.dataset.clear] = true; continue; } // an emptied rate: clear it
      if (value === '') continue;
      body[field.name] = field.dataset.type === 'number' ? Number(value) : value;
    }
    if (form.dataset.build === 'correct') {
      // R27: "1:30:00" or "1:30" (hours and minutes) to the billed duration in seconds.
      const [h, m, s = 0] = body.duration.split(':').map(Number);
      body.duration_seconds = h * 3600 + m * 60 + s;
      delete body.duration;
    }
    if (form.dataset.build === 'manual') {
      const start = localInstant(body.date, body.start);
      const end = localInstant(body.date, body.end);
      if (body.next_day) end.setDate(end.getDate() + 1); // 23:00–01:00 says so; an end before its start is refused (R24)
      body.started_at = start.toISOString();
      body.ended_at = end.toISOString();
      delete body.date; delete body.start; delete body.end; delete body.next_day;
    }
    return body;
  }

  function target(form, body, submitter) {
    if (form.dataset.api === 'start') {
      const what = body.what;
      delete body.what;
      return what === 'session' ? ['POST', '/api/v1/sessions'] : ['PUT', '/api/v1/timer'];
    }
    const [method, template] = (submitter?.dataset.submitApi || form.dataset.api).split(' '); // a second button may send elsewhere
    const path = template.replace(/\{(\w+)\}/g, (_, name) => { const v = body[name]; delete body[name]; return encodeURIComponent(v); });
    return [method, path];
  }

  // R3: what the formerly focused session drops to when another takes the focus: idle, or its
  // agent when the sidebar's hand-off box is ticked (remembered in this browser).
  for (const box of $$('[data-remember]')) {
    box.checked = localStorage.getItem(box.dataset.remember) === '1';
    box.addEventListener('change', () => localStorage.setItem(box.dataset.remember, box.checked ? '1' : '0'));
  }
  function withPrevious(method, path, body) {
    const handoff = $('#handoff');
    const focusing = (path.endsWith('/beat') && body && body.kind === 'active') || (method === 'POST' && path === '/api/v1/sessions');
    return focusing && handoff && handoff.checked ? { ...body, previous: 'agent' } : body;
  }

  async function then(action, data, origin) {
    const dialog = origin.closest('dialog');
    if (!action || action === 'refresh' || action === 'close') {
      if (origin.tagName === 'FORM') { origin.reset(); if (origin.id === 'new-session') toggle('new-session', false); }
      if (dialog) dialog.close();
      await refresh();
      return;
    }
    if (action === 'secret') {
      const box = $('.secret', origin);
      $('[data-secret]', box).textContent = data.secret;
      box.hidden = false;
      origin.querySelector('input[name]').value = '';
      await refresh();
      return;
    }
    // go:/path/{a.b} fills {a.b} from the answer (e.g. the id of what was just created).
    if (action.startsWith('go:')) { location.href = action.slice(3).replace(/\{([\w.]+)\}/g, (_, p) => encodeURIComponent(p.split('.').reduce((o, k) => o?.[k], data))); return; }
    if (action.startsWith('done:')) { origin.reset(); toast(action.slice(5), 'ok'); }
  }

  // Narrow windows: the sidebar is a drawer behind the top bar's Menu button.
  const app = $('.app');
  const menu = $('.menu-toggle');
  const backdrop = $('.nav-backdrop');
  function setMenu(open) {
    if (!app || !menu) return;
    app.classList.toggle('nav-open', open);
    menu.setAttribute('aria-expanded', open ? 'true' : 'false');
    if (backdrop) backdrop.hidden = !open;
    if (open) { const first = $('#sidebar a, #sidebar button'); if (first) first.focus(); } else if (document.activeElement && $('#sidebar')?.contains(document.activeElement)) menu.focus();
  }
  menu?.addEventListener('click', () => setMenu(!app.classList.contains('nav-open')));
  backdrop?.addEventListener('click', () => setMenu(false));
  document.addEventListener('keydown', (event) => { if (event.key === 'Escape' && app?.classList.contains('nav-open')) setMenu(false); });

  // Fills a dialog's form (booleans tick checkboxes), clears its last error, and opens it.
  // Elements marked data-shown-if="x" show only when the opening button says data-x (e.g. Remove only for a budget that is
  // set); x is a dataset key, so one word or camelCase (data-shown-if="hasBudget" reads data-has-budget).
  function openForm(dialogId, values, opener) {
    const dialog = document.getElementById(dialogId);
    const form = $('form', dialog);
    for (const [name, value] of Object.entries(values)) {
      const field = form.elements[name];
      if (field.type === 'checkbox') field.checked = value; else field.value = value ?? '';
    }
    for (const shown of $$('[data-shown-if]', form)) shown.hidden = !opener?.dataset[shown.dataset.shownIf];
    $('.form-error', form).textContent = '';
    clearFieldErrors(form);
    remember(dialog);
    dialog.showModal();
    const first = $('input:not([type=hidden]), select', form);
    if (first) first.focus();
    return dialog;
  }

  // A refusal about one field (problem details' field) is said next to that field, which takes the focus. The manual entry
  // form sends what its Date, From and To make: a refusal about those is said next to To or From.
  const FormFields = { started_at: 'start', ended_at: 'end', duration_seconds: 'duration' };
  // The API names its fields as the API does (default_rate, started_at); a form says them as its labels do. Only names
  // no sentence uses as a word are swapped (those with an underscore, and the field the refusal is about), so a
  // client called "Back to Basics" or a "Failed to fetch" keeps its words.
  function labelOf(field) { return (field?.labels?.[0]?.firstChild?.textContent || '').trim(); }
  function humanize(form, message, about) {
    try {
      if (!message) return message;
      const names = new Map();
      const apiName = (name) => name.includes('_') || name === about;
      for (const field of form.elements) if (field.name && apiName(field.name) && labelOf(field)) names.set(field.name, labelOf(field));
      for (const [api, name] of Object.entries(FormFields)) if (form.elements[name] && labelOf(form.elements[name])) names.set(api, labelOf(form.elements[name]));
      let said = message;
      for (const [name, label] of names) {
        const escaped = name.replace(/[.*+?^$()|[\]\\{}]/g, '\\$&');
        said = said.replace(new RegExp('\\b' + escaped + '\\b', 'g'), () => label);
      }
      return said;
    } catch {
      return message;
    }
  }
  function clearFieldErrors(form) {
    for (const note of $$('.field-error', form)) note.remove();
    for (const field of $$('[aria-invalid]', form)) { field.removeAttribute('aria-invalid'); field.removeAttribute('aria-describedby'); }
  }
  function showFieldError(form, name, message) {
    const field = name && form.elements[name];
    if (!field || !field.closest) return false;
    const note = document.createElement('span');
    note.className = 'field-error';
    note.id = `${form.getAttribute('id') || form.closest('dialog')?.id || 'form'}-${name}-error`; // form.id may be its field named id
    note.textContent = message;
    (field.closest('label') || field).insertAdjacentElement('afterend', note); // after its label: not part of the field's name
    field.setAttribute('aria-invalid', 'true');
    field.setAttribute('aria-describedby', note.id);
    field.focus();
    return true;
  }

  document.addEventListener('submit', async (event) => {
    const form = event.target.closest('form[data-api]');
    if (!form) return;
    event.preventDefault();
    const error = $('.form-error', form);
    const submit = $('[type=submit]', form);
    if (error) error.textContent = '';
    clearFieldErrors(form);
    const submitter = event.submitter;
    // The browser's own check takes spaces for a value, and bodyOf would then leave the field out: say so instead.
    const blank = !submitter?.formNoValidate && [...form.elements].find((field) => field.required && !field.disabled && typeof field.value === 'string' && field.value.trim() === '');
    if (blank) {
      const label = (blank.labels?.[0]?.firstChild?.textContent || blank.name).trim();
      showFieldError(form, blank.name, `${label} cannot be blank.`);
      return;
    }
    const body = bodyOf(form);
    if (form.dataset.build === 'manual' && Date.parse(body.ended_at) <= Date.parse(body.started_at)) {
      showFieldError(form, 'end', 'To must be after From. If the work ran past midnight, tick "Ends the next day".');
      return;
    }
    if (submitter?.dataset.confirm && !window.confirm(submitter.dataset.confirm)) return; // e.g. Remove budget
    const [method, path] = target(form, body, submitter);
    const plan = focusPlan(submit || form);
    const buttons = $$('[type=submit]', form); // every one, so a second click sends nothing twice
    const enable = (on) => { for (const button of buttons) button.disabled = !on; };
    try {
      enable(false);
      const data = await api(method, path, method === 'DELETE' ? undefined : withPrevious(method, path, body));
      await then(form.dataset.then, data, form);
    } catch (failure) {
      enable(true);
      const message = humanize(form, failure.message, failure.field);
      if (showFieldError(form, FormFields[failure.field] || failure.field, message)) return;
      if (error) error.textContent = message; else toast(message);
    } finally {
      enable(true);
      focusAfter(plan);
    }
  });

  // ---- buttons ------------------------------------------------------------------------
  function toggle(id, show) {
    const panel = document.getElementById(id);
    if (!panel) return;
    panel.hidden = show === undefined ? !panel.hidden : !show;
    for (const button of $$(`[aria-controls="${id}"]`)) button.setAttribute('aria-expanded', String(!panel.hidden));
    if (!panel.hidden) { const first = $('input, select', panel); if (first) first.focus(); }
  }

  function selectTab(container, name) {
    for (const tab of $$('[role=tab]', container)) {
      const on = tab.dataset.tab === name;
      tab.setAttribute('aria-selected', String(on));
      tab.tabIndex = on ? 0 : -1;
      document.getElementById(tab.getAttribute('aria-controls')).hidden = !on;
    }
  }

  function openDialog(id, tab) {
    const dialog = document.getElementById(id);
    if (!dialog) return;
    if (tab) selectTab(dialog, tab);
    remember(dialog);
    dialog.showModal();
    const panel = $('[role=tabpanel]:not([hidden])', dialog) || dialog;
    const first = $('input:not([type=hidden]):not([type=radio]), select', panel);
    if (first) first.focus();
  }

  document.addEventListener('click', async (event) => {
    const element = event.target.closest('[data-call], [data-open], [data-toggle], [data-close], [role=tab], [data-copy], [data-edit], [data-edit-entry], [data-correct-entry]');
    if (!element) return;
    const d = element.dataset;
    if ('open' in d) { openDialog(d.open, d.tab); return; }
    if ('toggle' in d) { toggle(d.toggle); return; }
    if ('close' in d) { element.closest('dialog').close(); return; }
    if (element.getAttribute('role') === 'tab') { selectTab(element.closest('dialog, body'), d.tab); element.focus(); return; }
    if ('copy' in d) {
      const secret = $('[data-secret]', element.closest('.secret')).textContent;
      try { await navigator.clipboard.writeText(secret); toast('Copied.', 'ok'); } catch { toast('Select the text and copy it by hand.'); }
      return;
    }
    if ('edit' in d) { openForm(d.edit, JSON.parse(d.values), element); return; } // a dialog's form, filled with the thing's values
    if ('editEntry' in d) {
      openForm('entry-edit', { id: d.id, project_id: d.project, description: d.description, date: d.date, start: d.start, end: d.end, next_day: d.nextDay === 'true' });
      return;
    }
    if ('correctEntry' in d) {
      const dialog = openForm('entry-correct', { id: d.id, description: d.description, duration: d.duration, billable: d.billable === 'true' });
      $('#entry-correct-span', dialog).textContent = `At most the session's span, ${d.span}.`;
      return;
    }
    if (d.confirm && !window.confirm(d.confirm)) return;
    const [method, path] = d.call.split(' ');
    const plan = focusPlan(element);
    element.disabled = true;
    try {
      const data = await api(method, path, withPrevious(method, path, d.body ? JSON.parse(d.body) : undefined));
      await then(d.then, data, element);
    } catch (failure) {
      toast(failure.message);
    } finally {
      element.disabled = false;
      focusAfter(plan);
    }
  });

  // Arrow keys move between tabs (WAI-ARIA tabs pattern).
  document.addEventListener('keydown', (event) => {
    const tab = event.target.closest && event.target.closest('[role=tab]');
    if (tab && (event.key === 'ArrowRight' || event.key === 'ArrowLeft')) {
      const tabs = $$('[role=tab]', tab.parentNode);
      const next = tabs[(tabs.indexOf(tab) + (event.key === 'ArrowRight' ? 1 : tabs.length - 1)) % tabs.length];
      next.click();
      event.preventDefault();
      return;
    }
    // S starts a timer (opens Log time on its Start tab) or stops the running one.
    if ((event.key === 's' || event.key === 'S') && !event.ctrlKey && !event.metaKey && !event.altKey
        && !event.target.closest('input, textarea, select, [contenteditable], dialog[open]')) {
      const button = $('[data-hotkey="stop"]') || $('[data-hotkey="start"]');
      if (button) { event.preventDefault(); button.click(); }
    }
  });

  const orgSwitch = $('#org-switch');
  if (orgSwitch) {
    orgSwitch.addEventListener('change', async () => {
      try {
        await api('POST', '/api/v1/auth/switch', { org_id: orgSwitch.value });
        location.href = '/';
      } catch (failure) { toast(failure.message); }
    });
  }

  tick();
})();
