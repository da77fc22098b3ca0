// The Import page (R30): the chosen file goes to /api/v1/imports as a dry run first; its counts and the rows that would be
// skipped are shown, and only the Import button sends it again for real. Every change goes through the JSON API.
(() => {
  'use strict';
  const form = document.getElementById('import-form');
  const preview = document.getElementById('import-preview');
  if (!form || !preview) return;
  const $ = (selector, root = preview) => root.querySelector(selector);
  const error = form.querySelector('.form-error');
  const commit = $('[data-import="commit"]');
  let pending = null; // { text, source, tz } of the previewed file

  async function send(dryRun) {
    const query = new URLSearchParams({ source: pending.source, dry_run: String(dryRun) });
    if (pending.tz) query.set('tz', pending.tz);
    const response = await fetch(`/api/v1/imports?${query}`, {
      method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': 'text/csv', Accept: 'application/json' }, body: pending.text,
    });
    const text = await response.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch { data = null; }
    if (!response.ok) throw new Error((data && (data.detail || data.title)) || `The server answered ${response.status}.`);
    return data.import;
  }

  function show(result) {
    const dry = result.dry_run;
    $('[data-field="heading"]').textContent = dry ? 'Preview: nothing has been written yet' : 'Imported';
    $('[data-label="created"]').textContent = dry ? 'Entries to create' : 'Entries created';
    $('[data-label="clients"]').textContent = dry ? 'New clients' : 'Clients created';
    $('[data-label="projects"]').textContent = dry ? 'New projects' : 'Projects created';
    for (const cell of preview.querySelectorAll('[data-count]')) {
      const value = result[cell.dataset.count];
      cell.textContent = String(Array.isArray(value) ? value.length : value);
    }
    const body = $('.import-failed tbody');
    body.replaceChildren(...result.failed.map((failure) => {
      const row = document.createElement('tr');
      for (const value of [failure.line, failure.code.replaceAll('_', ' '), failure.detail]) {
        const cell = document.createElement(row.children.length === 0 ? 'th' : 'td');
        if (row.children.length === 0) cell.scope = 'row';
        cell.textContent = String(value);
        row.append(cell);
      }
      return row;
    }));
    $('[data-field="failed-block"]').hidden = result.failed.length === 0;
    $('[data-field="failed-heading"]').textContent = dry ? 'Rows that will be skipped' : 'Rows that were skipped';
    commit.hidden = !dry || result.created === 0;
    commit.textContent = `Import ${result.created} ${result.created === 1 ? 'entry' : 'entries'}`;
    $('[data-import="cancel"]').textContent = dry ? 'Cancel' : 'Import another file';
    $('[data-field="done-link"]').hidden = dry;
    preview.hidden = false;
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.textContent = '';
    const file = form.elements.file.files[0];
    if (!file) { error.textContent = 'Choose the CSV file to import.'; return; }
    const submit = form.querySelector('[type=submit]');
    submit.disabled = true;
    try {
      pending = { text: await file.text(), source: form.elements.source.value, tz: form.elements.tz.value.trim() };
      show(await send(true));
      commit.focus();
    } catch (failure) {
      preview.hidden = true;
      error.textContent = failure.message;
    } finally {
      submit.disabled = false;
    }
  });

  preview.addEventListener('click', async (event) => {
    const button = event.target.closest('[data-import]');
    if (!button) return;
    if (button.dataset.import === 'cancel') {
      pending = null;
      preview.hidden = true;
      form.reset();
      return;
    }
    button.disabled = true;
    try {
      show(await send(false));
    } catch (failure) {
      error.textContent = failure.message;
    } finally {
      button.disabled = false;
    }
  });
})();
