// One load-generator worker. The Python orchestrator (bench/loadgen.py) starts several, sends
// them commands as JSON lines on stdin and reads JSON lines from stdout.
//
// Config (argv[2], JSON): {worker, visitorUrl, operatorUrl, cookies: [str|null], auth: {url,
// title, locale}, deadlineSeconds, connectConcurrency}; a URL may be a list of servers, which
// this worker's connections take in turn (as a load balancer spreads clients).
// Commands: {cmd: "operators"} | {cmd: "visitors", count} | {cmd: "warm", rate}
//           | {cmd: "step", step, rate, seconds, grace} | {cmd: "final", wait, grace}
//           | {cmd: "quit"}
// Send and receipt times come from process.hrtime (CLOCK_MONOTONIC, shared by every process on
// the machine), so a message sent by one worker and received by another is timed correctly.
"use strict";
const { io } = require("socket.io-client");
const readline = require("readline");

const cfg = JSON.parse(process.argv[2]);
const visitors = [];
const operators = [];
const received = new Map(); // step -> {ids: Set, latencies: number[]}
const late = new Map(); // step -> the sender's stats, still counting acks after the report
let connectErrors = 0;
let pendingAcks = 0;
const ACK_TIMEOUT_MS = 60000;

function out(obj) {
  process.stdout.write(JSON.stringify({ worker: cfg.worker, ...obj }) + "\n");
}

function nowNs() {
  return process.hrtime.bigint();
}

const base = { transports: ["websocket"], reconnection: false, timeout: 30000, forceNew: true };

function connectOne(url, options, readyEvent) {
  return new Promise((resolve) => {
    const socket = io(url, { ...base, ...options });
    let done = false;
    const finish = (ok) => {
      if (done) return;
      done = true;
      if (!ok) {
        connectErrors += 1;
        socket.close();
      }
      resolve(ok ? socket : null);
    };
    socket.once(readyEvent, () => finish(true));
    socket.once("connect_error", () => finish(false));
    setTimeout(() => finish(false), 30000);
  });
}

async function pool(count, concurrency, make) {
  const made = [];
  let next = 0;
  async function lane() {
    while (next < count) {
      next += 1;
      const s = await make();
      if (s) made.push(s);
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  return made;
}

function onOperatorMessage(message) {
  if (!message || typeof message.text !== "string" || !message.text.startsWith("bench ")) return;
  const at = nowNs();
  const [, step, sentNs] = message.text.split(" ");
  let bucket = received.get(step);
  if (!bucket) received.set(step, (bucket = { ids: new Set(), latencies: [] }));
  if (bucket.ids.has(message.client_id)) return;
  bucket.ids.add(message.client_id);
  bucket.latencies.push(Number(at - BigInt(sentNs)) / 1e6);
}

// The k-th connection's server: one URL, or each of a list in turn (offset by the worker, so
// that every server gets its share whatever the number of workers).
function serverFor(url, k) {
  return Array.isArray(url) ? url[(cfg.worker + k) % url.length] : url;
}

async function connectOperators() {
  const cookies = cfg.cookies;
  let i = 0;
  const made = await pool(cookies.length, cfg.connectConcurrency, () => {
    const k = i++;
    const cookie = cookies[k];
    const options = cookie ? { extraHeaders: { Cookie: `prilavok_op=${cookie}` } } : {};
    return connectOne(`${serverFor(cfg.operatorUrl, k)}/operator`, options, "init")
      .then((s) => {
        if (s) s.on("message", onOperatorMessage);
        return s;
      });
  });
  operators.push(...made);
  out({ event: "operators", connected: operators.length, errors: connectErrors });
}

async function connectVisitors(count) {
  let k = visitors.length;
  const made = await pool(count, cfg.connectConcurrency, () =>
    connectOne(`${serverFor(cfg.visitorUrl, k++)}/visitor`, { auth: cfg.auth }, "session"));
  visitors.push(...made);
  out({ event: "visitors", connected: visitors.length, errors: connectErrors });
}

// Sends `rate` messages a second in total from this worker, round-robin over its visitors,
// for `seconds`; returns the counts once every ack came back or `grace` seconds passed. An ack
// later than `ackTimeoutMs` is an error.
function drive(step, rate, seconds, grace, text, ackTimeoutMs = ACK_TIMEOUT_MS) {
  return new Promise((resolve) => {
    const stats = { sent: 0, acked: 0, ackErrors: 0, ackLatencies: [] };
    if (!visitors.length || rate <= 0) return resolve(stats);
    const total = Math.round(rate * seconds);
    const start = nowNs();
    let cursor = 0;
    let seq = 0;
    const tick = () => {
      const elapsed = Number(nowNs() - start) / 1e9;
      const due = Math.min(total, Math.floor(rate * elapsed));
      while (stats.sent < due) {
        const socket = visitors[cursor++ % visitors.length];
        const sentNs = nowNs();
        const payload = { client_id: `w${cfg.worker}-${step}-${seq++}`, text: text(sentNs) };
        stats.sent += 1;
        pendingAcks += 1;
        socket.timeout(ackTimeoutMs).emit("message", payload, (err, ack) => {
          pendingAcks -= 1;
          if (err || !ack || ack.ok === false) stats.ackErrors += 1;
          else {
            stats.acked += 1;
            stats.ackLatencies.push(Number(nowNs() - sentNs) / 1e6);
          }
        });
      }
      if (stats.sent < total) setTimeout(tick, 2);
      else {
        const sendSeconds = Number(nowNs() - start) / 1e9;
        const wait = () => {
          const waited = Number(nowNs() - start) / 1e9 - sendSeconds;
          if (stats.acked + stats.ackErrors >= stats.sent || waited >= grace) {
            resolve({ ...stats, sendSeconds });
          } else setTimeout(wait, 20);
        };
        wait();
      }
    };
    tick();
  });
}

async function step(cmd) {
  const name = `s${cmd.step}`;
  const stats = await drive(name, cmd.rate, cmd.seconds, cmd.grace, (ns) => `bench ${name} ${ns}`);
  // Receipts may still be on their way to another worker's operators: wait out the grace.
  await new Promise((r) => setTimeout(r, cmd.grace * 1000));
  const bucket = received.get(name) || { ids: new Set(), latencies: [] };
  // Acks still outstanding when the step is reported are counted by `final`, not here.
  late.set(name, stats);
  out({
    event: "step", step: cmd.step, sent: stats.sent, acked: stats.acked,
    ack_errors: stats.ackErrors, send_seconds: stats.sendSeconds || 0,
    received: bucket.ids.size, latencies_ms: bucket.latencies.slice(),
    ack_latencies_ms: stats.ackLatencies.slice(),
  });
}

// After the last step: waits until every ack came back (or `wait` seconds passed), then `grace`
// more for receipts, and reports every step again, stragglers included.
async function final(cmd) {
  const start = Date.now();
  while (pendingAcks > 0 && Date.now() - start < cmd.wait * 1000) {
    await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, cmd.grace * 1000));
  const steps = {};
  for (const [name, stats] of late) {
    const bucket = received.get(name) || { ids: new Set(), latencies: [] };
    steps[name.slice(1)] = {
      acked: stats.acked, ack_errors: stats.ackErrors, received: bucket.ids.size,
      latencies_ms: bucket.latencies, ack_latencies_ms: stats.ackLatencies,
    };
  }
  out({ event: "final", pending_acks: pendingAcks, steps });
}

async function warm(cmd) {
  // Every visitor sends one message, which opens its conversation (routing, assignment).
  // Waits for every ack (up to `grace` seconds), so that no backlog of new chats is still being
  // worked off when the measured steps begin. An ack may take the whole grace: a new chat costs
  // far more than a message and a crowd of them queues for routing, and one given up on early
  // would still be worked off during the first step.
  const started = nowNs();
  const sending = visitors.length / cmd.rate;
  const stats = await drive(
    "warm", cmd.rate, sending, cmd.grace, () => "warm-up", (sending + cmd.grace) * 1000);
  const seconds = Number(nowNs() - started) / 1e9;
  out({ event: "warm", sent: stats.sent, acked: stats.acked, ack_errors: stats.ackErrors, seconds });
}

async function handle(line) {
  const cmd = JSON.parse(line);
  if (cmd.cmd === "operators") await connectOperators();
  else if (cmd.cmd === "visitors") await connectVisitors(cmd.count);
  else if (cmd.cmd === "warm") await warm(cmd);
  else if (cmd.cmd === "step") await step(cmd);
  else if (cmd.cmd === "final") await final(cmd);
  else if (cmd.cmd === "quit") {
    for (const s of [...visitors, ...operators]) s.close();
    out({ event: "bye" });
    setTimeout(() => process.exit(0), 100);
  }
}

let chain = Promise.resolve();
readline.createInterface({ input: process.stdin }).on("line", (line) => {
  chain = chain.then(() => handle(line)).catch((e) => out({ event: "error", message: String(e) }));
});
process.stdin.on("end", () => process.exit(0));
setTimeout(() => {
  out({ event: "deadline" });
  process.exit(2);
}, cfg.deadlineSeconds * 1000).unref();
out({ event: "started" });
