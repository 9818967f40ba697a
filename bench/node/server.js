// The bare Node socket.io baseline: the same relay as Prilavok's, with no storage and no auth.
// A visitor's `message` is acknowledged, echoed to the visitor's room but the sender (as
// Prilavok does for the visitor's other tabs) and emitted to one operator, picked round-robin on
// the first message.
// Usage: node server.js PORT MAX_SECONDS   (exits by itself after MAX_SECONDS)
"use strict";
const http = require("http");
const { Server } = require("socket.io");

const port = Number(process.argv[2] || 8090);
const maxSeconds = Number(process.argv[3] || 600);

const httpServer = http.createServer((req, res) => {
  if (req.url === "/healthz") {
    res.writeHead(200, { "content-type": "application/json" });
    res.end('{"ok":true}');
    return;
  }
  res.writeHead(404);
  res.end();
});
const io = new Server(httpServer, {
  cors: { origin: "*" },
  pingInterval: 25000,
  pingTimeout: 20000,
  maxHttpBufferSize: 256 * 1024,
  perMessageDeflate: false,
});

const operators = [];
let nextOperator = 0;
let nextMessageId = 1;
let nextConversationId = 1;

io.of("/operator").on("connection", (socket) => {
  operators.push(socket.id);
  socket.emit("init", { operator: { id: operators.length }, chats: [], queue: [] });
  socket.on("disconnect", () => {
    const i = operators.indexOf(socket.id);
    if (i >= 0) operators.splice(i, 1);
  });
});

io.of("/visitor").on("connection", (socket) => {
  const room = `visitor:${socket.id}`;
  socket.join(room);
  socket.emit("session", { token: socket.id, visitor: { id: socket.id }, conversation: null, messages: [] });
  let operator = null;
  let conversationId = null;
  socket.on("message", (data, ack) => {
    if (!data || typeof data.text !== "string" || typeof data.client_id !== "string") {
      if (typeof ack === "function") ack({ ok: false, error: { code: "invalid_payload" } });
      return;
    }
    if (operator === null && operators.length) {
      operator = operators[nextOperator++ % operators.length];
      conversationId = nextConversationId++;
    }
    const message = {
      id: nextMessageId++, conversation_id: conversationId, author: "visitor", author_name: null,
      text: data.text.trim(), client_id: data.client_id, created_at: new Date().toISOString(),
      delivered_at: null, read_at: null,
    };
    socket.to(room).emit("message", message);
    if (operator !== null) io.of("/operator").to(operator).emit("message", message);
    if (typeof ack === "function") {
      ack({ ok: true, message, conversation: { id: conversationId, status: "active" } });
    }
  });
});

httpServer.listen(port, "127.0.0.1");
setTimeout(() => process.exit(0), maxSeconds * 1000).unref();
process.on("SIGTERM", () => process.exit(0));
