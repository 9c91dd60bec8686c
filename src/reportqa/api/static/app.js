// The reportqa page: ask a question, show the cited answer, and show each
// citation in the rebuilt report (GET /documents/{doc_id}), highlighting the
// quoted characters by their corpus offsets. Plain browser JavaScript, no
// build step and nothing fetched from outside this server.
'use strict';

(() => {
  const KEY_STORAGE = 'reportqa.apiKey';
  const HEALTH_RETRY_MS = 2000;

  const $ = (selector) => document.querySelector(selector);
  const ui = {
    status: $('#status'),
    form: $('#ask-form'),
    question: $('#question'),
    ask: $('#ask'),
    answer: $('#answer'),
    report: $('#report'),
    reportMeta: $('#report-meta'),
    settings: $('#settings'),
    settingsToggle: $('#settings-toggle'),
    apiKey: $('#api-key'),
    apiKeyClear: $('#api-key-clear'),
    libraryList: $('#library-list'),
    uploadForm: $('#upload-form'),
    uploadFile: $('#upload-file'),
    upload: $('#upload'),
    uploadProgress: $('#upload-progress'),
    uploadStatus: $('#upload-status'),
    pageView: $('#page-view'),
    pageLabel: $('#page-label'),
    pageFrame: $('#page-frame'),
    pageImg: $('#page-img'),
    pageClose: $('#page-close'),
    newChat: $('#new-chat'),
  };

  const state = {
    ready: false,
    documentsLoaded: false,
    documentsLoading: false,
    documentIds: [],
    askSeq: 0,
    turns: [],            // the conversation: per answered turn its question and citations by n
    reports: [],          // GET /documents
    docs: new Map(),      // doc_id -> GET /documents/{id} (title, pdf_pages, units)
    pageSeq: 0,
    pageUrl: null,
  };

  /** Build an element: el('p', {class: 'x', 'data-n': 1}, 'text', child). */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      node.setAttribute(name, value === true ? '' : String(value));
    }
    for (const child of children) {
      if (child === undefined || child === null || child === false) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  function pages(start, end) {
    return start === end ? `第${start}页` : `第${start}–${end}页`;
  }

  function sectionPath(path) {
    return (path || []).join(' › ');
  }

  // ---- API key -------------------------------------------------------------

  function storedKey() {
    try {
      return localStorage.getItem(KEY_STORAGE) || '';
    } catch (_) {
      return '';  // storage blocked (private mode): run without a key
    }
  }

  function storeKey(value) {
    try {
      if (value) localStorage.setItem(KEY_STORAGE, value);
      else localStorage.removeItem(KEY_STORAGE);
    } catch (_) {
      /* storage blocked: the key lasts until the page is closed */
    }
  }

  function showSettings(open) {
    ui.settings.hidden = !open;
    ui.settingsToggle.setAttribute('aria-expanded', String(open));
    if (open) {
      ui.apiKey.value = storedKey();
      ui.apiKey.focus();
    }
  }

  // ---- HTTP ------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  /** Fetch JSON from the service; HTTP errors throw ApiError with the `detail` message. */
  async function api(path, options = {}) {
    const headers = { Accept: 'application/json', ...(options.headers || {}) };
    const key = storedKey();
    if (key) headers.Authorization = `Bearer ${key}`;
    let response;
    try {
      response = await fetch(path, { ...options, headers });
    } catch (err) {
      throw new ApiError(0, `无法连接服务（${err.message || err}）`);
    }
    let body = null;
    try {
      body = await response.json();
    } catch (_) {
      body = null;
    }
    if (!response.ok) {
      let detail = body && body.detail;
      if (detail && typeof detail !== 'string') detail = JSON.stringify(detail);
      throw new ApiError(response.status, detail || response.statusText || '未知错误');
    }
    return body;
  }

  function describeError(err) {
    if (!(err instanceof ApiError) || err.status === 0) return err.message || String(err);
    if (err.status === 401) return `需要 API 密钥：请点右上角“设置”填写（${err.message}）`;
    if (err.status === 503) return `服务暂不可用：${err.message}`;
    return `请求失败（HTTP ${err.status}）：${err.message}`;
  }

  // ---- health ------------------------------------------------------------------

  function setStatus(kind, text) {
    ui.status.className = `status status-${kind}`;
    ui.status.textContent = text;
  }

  async function checkHealth() {
    let response;
    let body = null;
    try {
      response = await fetch('/health', { headers: { Accept: 'application/json' } });
      body = await response.json().catch(() => null);
    } catch (_) {
      setStatus('error', '无法连接服务，重试中…');
      setTimeout(checkHealth, HEALTH_RETRY_MS);
      return;
    }
    if (response.status === 503 || !response.ok) {
      state.ready = false;
      ui.ask.disabled = true;
      if (body && body.status === 'error') {
        setStatus('error', '索引加载失败');
        ui.report.replaceChildren(el('p', { class: 'error', role: 'alert' },
          `索引加载失败：${body.detail || '未知错误'}`));
      } else {
        setStatus('loading', '索引加载中…');
        ui.report.replaceChildren(el('p', { class: 'placeholder' }, '索引加载中…'));
      }
      setTimeout(checkHealth, HEALTH_RETRY_MS);
      return;
    }
    state.ready = true;
    ui.ask.disabled = false;
    state.documentIds = (body && body.documents) || [];
    const store = body && body.store === 'milvus' ? 'Milvus' : '本地索引';
    setStatus('ok', `已就绪 · ${body ? body.passages : '?'} 段 · ${store}`);
    if (body && body.model) {
      ui.status.title = `模型：${body.model}\n索引：${body.index_built_at || ''}\n存储：${store}`;
    }
    loadDocuments();
    loadLibrary();
  }

  // ---- the reports: list, scope, upload, remove ------------------------------------

  async function loadLibrary() {
    try {
      state.reports = await api('/documents');
    } catch (err) {
      ui.libraryList.replaceChildren(el('li', { class: 'error' }, `报告列表载入失败：${describeError(err)}`));
      return;
    }
    const checked = new Set(selectedIds() || state.reports.map((r) => r.id));
    ui.libraryList.replaceChildren(...state.reports.map((r) => {
      const box = el('input', { type: 'checkbox', class: 'library-scope', value: r.id,
        checked: checked.has(r.id) || !state.libraryShown });
      const remove = el('button', { type: 'button', class: 'link-button library-remove', 'data-id': r.id,
        'aria-label': `删除 ${r.title}` }, '删除');
      remove.addEventListener('click', () => removeReport(r, remove));
      return el('li', { class: 'library-item', 'data-id': r.id },
        el('label', {}, box, el('span', { class: 'library-name' }, r.title),
          el('span', { class: 'library-meta' }, `${r.pages}页 · ${r.passages}段`)), remove);
    }));
    state.libraryShown = true;
  }

  /** The ids of the checked reports, or null when every report is checked (no scope). */
  function selectedIds() {
    const boxes = Array.from(ui.libraryList.querySelectorAll('input.library-scope'));
    if (!boxes.length) return null;
    const ids = boxes.filter((b) => b.checked).map((b) => b.value);
    return ids.length === boxes.length ? null : ids;
  }

  /** After the reports changed: reload the list, the health figures and the report texts. */
  function reloadReports() {
    state.documentsLoaded = false;
    state.libraryShown = false;
    checkHealth();
  }

  async function removeReport(report, button) {
    if (button.dataset.armed !== 'yes') {  // a second click confirms
      button.dataset.armed = 'yes';
      button.textContent = '确认删除';
      return;
    }
    button.disabled = true;
    try {
      await api(`/documents/${encodeURIComponent(report.id)}`, { method: 'DELETE' });
      ui.uploadStatus.className = 'upload-status';
      ui.uploadStatus.textContent = `已删除：${report.title}`;
      reloadReports();
    } catch (err) {
      ui.uploadStatus.className = 'upload-status error';
      ui.uploadStatus.textContent = describeError(err);
      button.disabled = false;
    }
  }

  /** Upload with XMLHttpRequest, the browser API that reports upload progress. */
  function uploadReport(file) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', '/documents');
      const key = storedKey();
      if (key) xhr.setRequestHeader('Authorization', `Bearer ${key}`);
      xhr.upload.addEventListener('progress', (event) => {
        if (event.lengthComputable) ui.uploadProgress.value = Math.round((100 * event.loaded) / event.total);
      });
      xhr.addEventListener('load', () => {
        let body = null;
        try { body = JSON.parse(xhr.responseText); } catch (_) { body = null; }
        if (xhr.status === 201) resolve(body);
        else reject(new ApiError(xhr.status, (body && body.detail) || xhr.statusText || '上传失败'));
      });
      xhr.addEventListener('error', () => reject(new ApiError(0, '无法连接服务')));
      const form = new FormData();
      form.append('file', file);
      xhr.send(form);
    });
  }

  async function upload() {
    const file = ui.uploadFile.files && ui.uploadFile.files[0];
    if (!file) {
      ui.uploadStatus.className = 'upload-status error';
      ui.uploadStatus.textContent = '请先选择一个 PDF 或 .txt 文件。';
      return;
    }
    ui.upload.disabled = true;
    ui.uploadProgress.hidden = false;
    ui.uploadProgress.value = 0;
    ui.uploadStatus.className = 'upload-status';
    ui.uploadStatus.textContent = `正在上传并建立索引：${file.name}…`;
    try {
      const added = await uploadReport(file);
      ui.uploadStatus.textContent = `已添加：${added.title}（${added.pages}页，${added.passages}段）`;
      ui.uploadFile.value = '';
      reloadReports();
    } catch (err) {
      ui.uploadStatus.className = 'upload-status error';
      ui.uploadStatus.textContent = describeError(err);
    } finally {
      ui.upload.disabled = false;
      ui.uploadProgress.hidden = true;
    }
  }

  // ---- the cited PDF page -----------------------------------------------------------

  /** Show the PDF page holding [start, end) of a PDF report, the quote's boxes marked. */
  async function showPage(docId, start, end) {
    const doc = state.docs.get(docId);
    if (!doc || !doc.pdf_pages) {
      ui.pageView.hidden = true;
      return;
    }
    const seq = ++state.pageSeq;
    try {
      const found = await api(`/documents/${encodeURIComponent(docId)}/boxes?start=${start}&end=${end}`);
      if (!found.pages.length || seq !== state.pageSeq) return;
      const page = found.pages[0];
      const headers = {};
      const key = storedKey();
      if (key) headers.Authorization = `Bearer ${key}`;
      const response = await fetch(`/documents/${encodeURIComponent(docId)}/pages/${page.page}.png`, { headers });
      if (!response.ok) throw new ApiError(response.status, '页面图载入失败');
      const url = URL.createObjectURL(await response.blob());
      if (seq !== state.pageSeq) return;
      if (state.pageUrl) URL.revokeObjectURL(state.pageUrl);
      state.pageUrl = url;
      ui.pageFrame.querySelectorAll('.quote-box').forEach((b) => b.remove());
      ui.pageImg.alt = `${doc.title} PDF 第 ${page.page} 页`;
      ui.pageImg.src = url;
      for (const [x0, top, x1, bottom] of page.boxes) {
        const mark = el('div', { class: 'quote-box' });
        // positions in % of the page, so the marks follow the image's size
        mark.style.left = `${(100 * x0) / page.width}%`;
        mark.style.top = `${(100 * top) / page.height}%`;
        mark.style.width = `${(100 * (x1 - x0)) / page.width}%`;
        mark.style.height = `${(100 * (bottom - top)) / page.height}%`;
        ui.pageFrame.append(mark);
      }
      ui.pageLabel.textContent = `${doc.title} · PDF 第 ${page.page} 页`;
      ui.pageView.hidden = false;
      await ui.pageImg.decode().catch(() => null);  // the marks have their place once the image has its size
      const first = ui.pageFrame.querySelector('.quote-box');
      if (first && seq === state.pageSeq) {
        ui.pageView.scrollTop = ui.pageFrame.offsetTop + first.offsetTop - (ui.pageView.clientHeight - first.offsetHeight) / 2;
      }
    } catch (err) {
      ui.pageLabel.textContent = describeError(err);
      ui.pageView.hidden = false;
    }
  }

  // ---- the report viewer -----------------------------------------------------------

  async function loadDocuments() {
    if (state.documentsLoaded || state.documentsLoading) return;
    state.documentsLoading = true;
    ui.report.replaceChildren(el('p', { class: 'placeholder loading' }, '正在载入报告…'));
    try {
      const docs = [];
      for (const id of state.documentIds) {
        docs.push(await api(`/documents/${encodeURIComponent(id)}`));
      }
      state.docs = new Map(docs.map((d) => [d.doc_id, d]));
      ui.report.replaceChildren(...docs.map(renderDocument));
      if (!docs.length) ui.report.replaceChildren(el('p', { class: 'placeholder' }, '索引中没有文档。'));
      ui.reportMeta.textContent = docs.map((d) => `${d.title} · 第${d.first_page}–${d.last_page}页`).join('；');
      state.documentsLoaded = true;
    } catch (err) {
      ui.report.replaceChildren(el('p', { class: 'error', role: 'alert' }, `报告载入失败：${describeError(err)}`));
      if (err instanceof ApiError && err.status === 401) showSettings(true);
    } finally {
      state.documentsLoading = false;
    }
  }

  function spanAttrs(item, extra) {
    return { 'data-start': item.start, 'data-end': item.end, 'data-id': item.id, ...(extra || {}) };
  }

  /** The report's units in reading order; a note that falls inside a paragraph's
   *  range (a footnote or caption at a page break) goes after that paragraph. */
  function orderedUnits(doc) {
    const units = [];
    doc.sections.forEach((s) => units.push({ kind: 'section', key: s.start, start: s.start, data: s }));
    doc.paragraphs.forEach((p) => units.push({ kind: 'paragraph', key: p.start, start: p.start, data: p }));
    doc.tables.forEach((t) => units.push({ kind: 'table', key: t.start, start: t.start, data: t }));
    doc.notes.forEach((n) => {
      const host = doc.paragraphs.find((p) => p.start <= n.start && n.start < p.end);
      units.push({ kind: 'note', key: host ? host.end : n.start, start: n.start, data: n });
    });
    return units.sort((a, b) => a.key - b.key || a.start - b.start);
  }

  function renderSection(s) {
    const level = Math.min(s.level + 2, 6);
    return el(`h${level}`, spanAttrs(s, { class: `heading lvl-${s.level}`, title: sectionPath(s.path) }), s.title);
  }

  function renderParagraph(p) {
    const node = el('p', spanAttrs(p, { class: 'para', title: pages(p.page_start, p.page_end) }), p.text);
    node.reportqa = { text: p.text, chars: Array.from(p.text), offsets: p.offsets };
    return node;
  }

  function renderTable(t) {
    const head = el('tr', {}, ...t.header.map((h) => el('th', { scope: 'col' }, h)));
    const rows = t.rows.map((r) => el('tr', { 'data-start': r.start, 'data-end': r.end },
      ...r.cells.map((c) => el('td', {}, c))));
    return el('figure', spanAttrs(t, { class: 'table', title: pages(t.page_start, t.page_end) }),
      el('div', { class: 'table-title' }, t.title, t.unit ? el('span', { class: 'unit' }, ` ${t.unit}`) : null),
      el('div', { class: 'table-scroll' },
        el('table', {}, el('thead', {}, head), el('tbody', {}, ...rows))),
      t.source ? el('figcaption', { class: 'table-source' }, t.source) : null);
  }

  function renderNote(n) {
    const label = n.kind === 'caption' ? '图' : '注';
    const node = el('p', spanAttrs(n, { class: `note note-${n.kind}`, title: pages(n.page_start, n.page_end) }),
      el('span', { class: 'note-label' }, label), el('span', { class: 'note-text' }, n.text));
    return node;
  }

  function renderDocument(doc) {
    const root = el('article', { class: 'doc', 'data-doc': doc.doc_id });
    let container = root;
    let lastPage = 0;
    for (const unit of orderedUnits(doc)) {
      const d = unit.data;
      // A box (专栏) frames its heading and the in-box paragraphs that follow it.
      if (container !== root && (unit.kind === 'section' || (unit.kind === 'paragraph' && !d.in_box))) {
        container = root;
      }
      if (d.page_start > lastPage) {
        container.append(el('div', { class: 'page-mark', 'aria-hidden': 'true' }, `第 ${d.page_start} 页`));
        lastPage = d.page_start;
      }
      if (unit.kind === 'section' && d.is_box) {
        const box = el('section', spanAttrs(d, { class: 'box' }),
          el('div', { class: 'box-title', role: 'heading', 'aria-level': Math.min(d.level + 2, 6),
            'data-start': d.start, 'data-end': d.end }, d.title));
        root.append(box);
        container = box;
        continue;
      }
      const node = unit.kind === 'section' ? renderSection(d)
        : unit.kind === 'paragraph' ? renderParagraph(d)
          : unit.kind === 'table' ? renderTable(d) : renderNote(d);
      container.append(node);
    }
    return root;
  }

  // ---- highlighting ------------------------------------------------------------------

  function overlaps(node, start, end) {
    return Number(node.dataset.start) < end && start < Number(node.dataset.end);
  }

  function clearHighlights() {
    ui.report.querySelectorAll('.has-hl').forEach((node) => {
      if (node.reportqa) node.replaceChildren(node.reportqa.text);
      else node.querySelectorAll('mark.hl').forEach((m) => m.replaceWith(m.textContent));
      node.classList.remove('has-hl');
      node.normalize();
    });
    ui.report.querySelectorAll('.hl').forEach((node) => node.classList.remove('hl'));
  }

  /** Wrap the characters of a paragraph whose corpus offsets fall in [start, end). */
  function markParagraph(node, start, end) {
    const { chars, offsets } = node.reportqa;
    const inside = (i) => offsets[i] >= start && offsets[i] < end;
    const parts = [];
    let first = null;
    for (let i = 0; i < chars.length;) {
      const flag = inside(i);
      let j = i + 1;
      while (j < chars.length && inside(j) === flag) j += 1;
      const text = chars.slice(i, j).join('');
      if (flag) {
        const mark = el('mark', { class: 'hl' }, text);
        parts.push(mark);
        first = first || mark;
      } else {
        parts.push(text);
      }
      i = j;
    }
    if (!first) return null;
    node.replaceChildren(...parts);
    node.classList.add('has-hl');
    return first;
  }

  /** Highlight a footnote or caption: the quoted text inside it if found, else all of it. */
  function markNote(node, quote) {
    const textNode = node.querySelector('.note-text');
    const text = textNode.textContent;
    const at = quote ? text.indexOf(quote) : -1;
    if (at < 0) {
      node.classList.add('hl');
      return node;
    }
    const mark = el('mark', { class: 'hl' }, quote);
    textNode.replaceChildren(text.slice(0, at), mark, text.slice(at + quote.length));
    node.classList.add('has-hl');
    return mark;
  }

  /** Centre a node in the report's scroll box; move the window only when the
   *  node is still off screen (phones, where the report sits below the answer). */
  function scrollToCenter(node) {
    const box = ui.report.getBoundingClientRect();
    const at = node.getBoundingClientRect();
    ui.report.scrollTop += at.top - box.top - (box.height - at.height) / 2;
    const now = node.getBoundingClientRect();
    if (now.top < 0 || now.bottom > window.innerHeight) {
      node.scrollIntoView({ block: 'center', inline: 'nearest' });
    }
  }

  /** Highlight the report where corpus offsets [start, end) lie and scroll it into view.
   *  Returns the first highlighted element, or null when nothing there was found. */
  function highlight(docId, start, end, quote) {
    clearHighlights();
    const root = ui.report.querySelector(`.doc[data-doc="${CSS.escape(docId)}"]`) || ui.report;
    const hits = [];
    root.querySelectorAll('p.para').forEach((p) => {
      if (!overlaps(p, start, end)) return;
      const mark = markParagraph(p, start, end);
      if (mark) hits.push(mark);
    });
    root.querySelectorAll('tr[data-start]').forEach((tr) => {
      if (overlaps(tr, start, end)) {
        tr.classList.add('hl');
        hits.push(tr);
      }
    });
    if (!hits.length) {
      root.querySelectorAll('p.note').forEach((n) => {
        if (overlaps(n, start, end)) hits.push(markNote(n, quote));
      });
    }
    if (!hits.length) {
      const table = Array.from(root.querySelectorAll('figure.table')).find((t) => overlaps(t, start, end));
      if (table) {
        table.classList.add('hl');
        hits.push(table);
      }
    }
    if (hits.length) {
      scrollToCenter(hits[0]);
      hits.forEach((h) => {
        h.classList.remove('flash');
        void h.offsetWidth;  // restart the flash animation
        h.classList.add('flash');
      });
    }
    return hits[0] || null;
  }

  function showLocation(docId, start, end, quote) {
    if (!state.documentsLoaded) {
      ui.reportMeta.textContent = '报告原文尚未载入，稍后再试。';
      loadDocuments();
      return;
    }
    if (!highlight(docId, start, end, quote)) {
      ui.reportMeta.textContent = `未能在原文中定位（偏移 ${start}–${end}）`;
    }
    showPage(docId, start, end);
  }

  function selectCitation(turn, n) {
    const c = state.turns[turn] && state.turns[turn].citations.get(n);
    if (!c) return;
    ui.answer.querySelectorAll('.active').forEach((node) => node.classList.remove('active'));
    ui.answer.querySelectorAll(`.turn[data-turn="${turn}"] [data-n="${n}"]`).forEach((node) => node.classList.add('active'));
    showLocation(c.doc_id, c.quote_start, c.quote_end, c.quote);
  }

  // ---- asking ------------------------------------------------------------------------

  function citeButton(c) {
    return el('button', {
      type: 'button', class: 'cite', 'data-n': c.n,
      title: `${sectionPath(c.section_path)}（${pages(c.page_start, c.page_end)}）`,
      'aria-label': `引用 ${c.n}，${pages(c.page_start, c.page_end)}`,
    }, c.n);
  }

  function answerText(text, citations) {
    const p = el('p', { class: 'answer-text' });
    const byN = new Map(citations.map((c) => [c.n, c]));
    let last = 0;
    for (const m of text.matchAll(/\[(\d+)\]/g)) {
      const c = byN.get(Number(m[1]));
      if (!c) continue;
      p.append(text.slice(last, m.index), citeButton(c));
      last = m.index + m[0].length;
    }
    p.append(text.slice(last));
    return p;
  }

  function citationList(citations) {
    return el('ol', { class: 'citations' }, ...citations.map((c) => el('li', { class: 'citation', 'data-n': c.n },
      el('button', { type: 'button', class: 'citation-head', 'data-n': c.n },
        el('span', { class: 'citation-n' }, c.n),
        el('span', { class: 'citation-path' }, [c.title, ...c.section_path].join(' › ')),
        el('span', { class: 'citation-page' }, pages(c.page_start, c.page_end))),
      el('blockquote', { class: 'quote' }, c.quote))));
  }

  /** One turn of the conversation: the question, the question as understood when a
   *  follow-up was resolved against the earlier ones, and the answer. */
  function renderAnswer(res) {
    const turn = state.turns.length;
    state.turns.push({ question: res.question, citations: new Map(res.citations.map((c) => [c.n, c])) });
    const parts = [el('p', { class: 'turn-question' }, res.question)];
    if (res.resolved_question) parts.push(el('p', { class: 'resolved' }, `理解为：${res.resolved_question}`));
    if (res.abstained) {
      parts.push(el('div', { class: 'abstain', role: 'status' },
        el('div', { class: 'abstain-title' }, '报告中没有找到相关信息'),
        el('p', {}, '检索到的段落不足以回答这个问题，因此不作回答。'),
        res.abstain_reason ? el('p', { class: 'abstain-reason' }, `原因：${res.abstain_reason}`) : null,
        res.answer && res.answer !== '报告中没有找到相关信息' ? el('p', {}, res.answer) : null));
      if (res.see_also.length) {
        parts.push(el('h3', { class: 'sub' }, '可能相关的段落'));
        parts.push(el('ul', { class: 'see-also' }, ...res.see_also.map((s) => {
          const item = el('button', { type: 'button', class: 'see-also-item' },
            el('span', { class: 'citation-path' }, sectionPath(s.section_path)),
            el('span', { class: 'citation-page' }, pages(s.page_start, s.page_end)),
            el('span', { class: 'see-also-text' }, s.text.length > 140 ? `${s.text.slice(0, 140)}…` : s.text));
          item.addEventListener('click', () => showLocation(s.doc_id, s.start, s.end, s.text));
          return el('li', {}, item);
        })));
      }
    } else {
      parts.push(answerText(res.answer, res.citations));
      if (res.citations.length) {
        parts.push(el('h3', { class: 'sub' }, '出处'));
        parts.push(citationList(res.citations));
      }
    }
    if (res.timings_ms) parts.push(el('p', { class: 'timings' }, `用时 ${Math.round(res.timings_ms.total)} 毫秒`));
    clearTransient();
    const node = el('div', { class: 'turn', 'data-turn': turn }, ...parts);
    ui.answer.append(node);
    node.scrollIntoView({ block: 'nearest' });
  }

  /** Remove the placeholder, a loading line or an error left by the previous ask. */
  function clearTransient() {
    ui.answer.querySelectorAll(':scope > .placeholder, :scope > .loading, :scope > .error').forEach((n) => n.remove());
  }

  function showError(message) {
    clearTransient();
    ui.answer.append(el('div', { class: 'error', role: 'alert' }, message));
  }

  /** Start a new conversation: later questions are not read as follow-ups of earlier ones. */
  function newConversation() {
    state.turns = [];
    state.askSeq += 1;
    ui.answer.replaceChildren(el('p', { class: 'placeholder' }, '新对话：输入问题。追问（如“那进口呢？”）会按本对话前面的问题理解。'));
    ui.question.focus();
  }

  async function ask() {
    const question = ui.question.value.trim();
    if (!question) {
      showError('请输入问题。');
      ui.question.focus();
      return;
    }
    if (!state.ready) {
      showError('索引加载中…，请稍候再问。');
      return;
    }
    const scope = selectedIds();
    if (scope && !scope.length) {
      showError('请至少勾选一份报告。');
      return;
    }
    const seq = ++state.askSeq;
    ui.ask.disabled = true;
    ui.ask.textContent = '回答中…';
    ui.answer.setAttribute('aria-busy', 'true');
    clearTransient();
    ui.answer.append(el('p', { class: 'loading' }, '正在检索报告并组织回答…'));
    const history = state.turns.map((t) => t.question).slice(-20);
    const request = { question };
    if (history.length) request.history = history;
    if (scope) request.doc_ids = scope;
    try {
      const res = await api('/ask', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(request),
      });
      if (seq === state.askSeq) renderAnswer(res);
    } catch (err) {
      if (seq !== state.askSeq) return;
      showError(describeError(err));
      if (err instanceof ApiError && err.status === 401) showSettings(true);
    } finally {
      if (seq === state.askSeq) {
        ui.ask.disabled = !state.ready;
        ui.ask.textContent = '提问';
        ui.answer.removeAttribute('aria-busy');
      }
    }
  }

  // ---- wiring --------------------------------------------------------------------------

  ui.form.addEventListener('submit', (event) => {
    event.preventDefault();
    ask();
  });
  ui.question.addEventListener('keydown', (event) => {
    // Enter asks; Shift+Enter is a new line; Enter that confirms an IME candidate does neither.
    if (event.key !== 'Enter' || event.shiftKey || event.isComposing || event.keyCode === 229) return;
    event.preventDefault();
    ask();
  });
  document.querySelectorAll('.chip').forEach((chip) => chip.addEventListener('click', () => {
    ui.question.value = chip.textContent.trim();
    ask();
  }));
  ui.answer.addEventListener('click', (event) => {
    const target = event.target.closest('.cite, .citation-head');
    const turn = target && target.closest('.turn');
    if (turn) selectCitation(Number(turn.dataset.turn), Number(target.dataset.n));
  });
  ui.uploadForm.addEventListener('submit', (event) => {
    event.preventDefault();
    upload();
  });
  ui.pageClose.addEventListener('click', () => { ui.pageView.hidden = true; });
  ui.newChat.addEventListener('click', newConversation);
  ui.settingsToggle.addEventListener('click', () => showSettings(ui.settings.hidden));
  ui.settings.addEventListener('submit', (event) => {
    event.preventDefault();
    storeKey(ui.apiKey.value.trim());
    showSettings(false);
    if (state.ready && !state.documentsLoaded) loadDocuments();
  });
  ui.apiKeyClear.addEventListener('click', () => {
    ui.apiKey.value = '';
    storeKey('');
  });

  ui.ask.disabled = true;
  checkHealth();
})();
