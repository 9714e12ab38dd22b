#!/usr/bin/env node
// Node `ws` binary echo server for the Courier peer harness (Debian's node-ws:
// `apt-get install -y nodejs node-ws`; run with NODE_PATH=/usr/share/nodejs when the
// node on PATH is not Debian's).
// Usage: node node-ws-echo.js PORT   (prints "listening PORT" once bound on 127.0.0.1)
'use strict';
const { WebSocketServer } = require('ws');

const port = Number(process.argv[2]);
if (!Number.isInteger(port)) {
  console.error('usage: node node-ws-echo.js PORT');
  process.exit(64);
}
const server = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: false, maxPayload: 1 << 24 });
server.on('listening', () => console.log(`listening ${server.address().port}`));
server.on('connection', (socket) => {
  socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
});
