// stream.js -- live inbox items from GET /v1/stream.
//
// EventSource cannot send an Authorization header, so the stream is read
// with fetch and parsed here (Server-Sent Events: "id:", "event:", "data:"
// lines, a blank line ends an event).  When the connection drops it comes
// back after a growing pause (1 s doubling to 30 s), sending the id of the
// last event it saw as Last-Event-ID: the server replays what came since.

import { get, token } from './api.js';

const DELAY_MIN_MS = 1000;
const DELAY_MAX_MS = 30000;

export class LiveStream {
  // onItem(item) for each inbox item; onStatus('verbinden' | 'verbonden' | 'onderbroken').
  constructor(onItem, onStatus) {
    this.onItem = onItem;
    this.onStatus = onStatus;
    this.lastId = null;
    this.stopped = true;
    this.ctrl = null;
    this.timer = null;
    this.runs = 0; // a stop() and start() in quick succession must not leave two loops running
  }

  // Starts after the newest item the inbox holds now, so only new ones arrive.
  async start() {
    if (!this.stopped) return;
    this.stopped = false;
    if (this.lastId === null) this.lastId = await newestSeq();
    this.run();
  }

  stop() {
    this.stopped = true;
    this.runs += 1;
    this.lastId = null;
    clearTimeout(this.timer);
    if (this.ctrl) this.ctrl.abort();
  }

  async run() {
    const run = ++this.runs;
    const live = () => !this.stopped && run === this.runs;
    let delay = DELAY_MIN_MS;
    while (live()) {
      this.ctrl = new AbortController();
      this.onStatus('verbinden');
      try {
        const headers = { Authorization: 'Bearer ' + (token() || ''), Accept: 'text/event-stream' };
        if (this.lastId !== null) headers['Last-Event-ID'] = String(this.lastId);
        const resp = await fetch('/v1/stream', { headers, signal: this.ctrl.signal, cache: 'no-store' });
        if (!live()) break;
        if (resp.status === 401) {
          this.stopped = true;
          break;
        }
        if (resp.ok && resp.body) {
          this.onStatus('verbonden');
          delay = DELAY_MIN_MS;
          await this.read(resp.body, live);
        } else {
          await resp.body?.cancel();
        }
      } catch {
        // a dropped connection or an abort: reconnect below unless stopped
      }
      if (!live()) break;
      this.onStatus('onderbroken');
      await new Promise((resolve) => {
        this.timer = setTimeout(resolve, delay);
      });
      delay = Math.min(delay * 2, DELAY_MAX_MS);
    }
  }

  async read(body, live) {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done || !live()) return;
      buf += value.replace(/\r\n?/g, '\n');
      let end;
      while ((end = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, end);
        buf = buf.slice(end + 2);
        this.dispatch(block);
      }
    }
  }

  dispatch(block) {
    let id = null;
    const data = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'id') id = value;
      else if (field === 'data') data.push(value);
    }
    if (id !== null) this.lastId = id;
    if (data.length === 0) return;
    try {
      this.onItem(JSON.parse(data.join('\n')));
    } catch {
      // not an item: ignored
    }
  }
}

// The highest seq of the caller's open items (the newest task and the newest notification).
async function newestSeq() {
  let max = 0;
  for (const kind of ['task', 'notification']) {
    try {
      const r = await get(`/v1/inbox?kind=${kind}&limit=1`);
      for (const it of r.items || []) max = Math.max(max, it.seq || 0);
    } catch {
      // the stream replays from the start instead
    }
  }
  return max;
}
