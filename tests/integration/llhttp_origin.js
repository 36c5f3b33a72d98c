// A test origin whose HTTP parser is Node's llhttp (http.createServer, strict mode): for every
// connection it records the raw bytes it received, each request llhttp parsed out of them and
// every llhttp parse error, so test_differential.py can check that an independent parser frames
// what the proxy forwarded exactly as the proxy meant it. Plain Node, no npm packages.
//   node llhttp_origin.js <data_port> <control_port>
// Data port: every request is answered 200 "ok\n" with X-Llhttp-Origin: 1 once its body ended.
// Control port: GET /__records (JSON below), POST /__reset (closes every data connection and
// forgets them, so the next case starts on fresh connections with a fresh parser).
'use strict';

const http = require('http');

const [dataPort, controlPort] = process.argv.slice(2).map(Number);
if (!dataPort || !controlPort) {
  console.error('usage: node llhttp_origin.js <data_port> <control_port>');
  process.exit(2);
}

// id -> {id, raw: [Buffer], requests: [...], errors: [...], closed, socket}
let connections = new Map();
let nextId = 1;

function recordOf(socket) {
  return socket.x0Record;
}

// One request as llhttp framed it. `kind` says which server event delivered it: "request" for
// ordinary messages, "upgrade"/"connect" when llhttp stopped parsing HTTP after this head.
function newRequest(req, kind) {
  const rec = recordOf(req.socket);
  const entry = {
    kind,
    method: req.method,
    url: req.url,
    httpVersion: req.httpVersion,
    rawHeaders: req.rawHeaders,
    rawTrailers: [],
    bodyBytes: 0,
    complete: false,
  };
  if (rec) rec.requests.push(entry);
  return {entry, seq: rec ? rec.requests.length : 0, conn: rec ? rec.id : 0};
}

function answer(res, conn, seq) {
  res.writeHead(200, {
    'Content-Type': 'text/plain',
    'Content-Length': '3',
    'X-Llhttp-Origin': '1',
    'X-Llhttp-Conn': String(conn),
    'X-Llhttp-Seq': String(seq),
  });
  res.end('ok\n');
}

function onRequest(req, res, kind = 'request') {
  const {entry, seq, conn} = newRequest(req, kind);
  req.on('data', (chunk) => { entry.bodyBytes += chunk.length; });
  req.on('end', () => {
    entry.complete = true;
    entry.rawTrailers = req.rawTrailers;
    answer(res, conn, seq);
  });
}

// After an upgrade or CONNECT llhttp hands the socket over: later bytes are still recorded raw,
// but no longer parsed as HTTP. Answer 200 (not 101), as an origin that declines would.
function onTakeover(kind) {
  return (req, socket, head) => {
    const {entry, seq, conn} = newRequest(req, kind);
    entry.bodyBytes = head.length;
    entry.complete = true;
    socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n' +
                 `X-Llhttp-Origin: 1\r\nX-Llhttp-Conn: ${conn}\r\nX-Llhttp-Seq: ${seq}\r\n` +
                 'Connection: close\r\n\r\nok\n');
    socket.end();
  };
}

const server = http.createServer({
  insecureHTTPParser: false,  // llhttp's strict mode: no lenient flags
  keepAlive: true,
  requireHostHeader: false,   // Node's own 400, not llhttp's: the test checks Host itself
  maxHeaderSize: 1 << 20,     // the proxy's limits decide sizes; this origin only frames
}, onRequest);
server.keepAliveTimeout = 30000;
server.headersTimeout = 30000;
server.requestTimeout = 0;

// Registered after http.Server's own listener on purpose: http.Server reads the socket natively
// (parser.consume) and switches back to 'data' events only when a 'data' listener is added after
// it. No byte is missed: nothing is read before this synchronous listener runs.
server.on('connection', (socket) => {
  const rec = {id: nextId++, opened: Date.now(), raw: [], requests: [], errors: [], closed: false,
               socket};
  socket.x0Record = rec;
  connections.set(rec.id, rec);
  socket.on('data', (chunk) => rec.raw.push(Buffer.from(chunk)));
  socket.on('close', () => { rec.closed = true; });
});

server.on('checkExpectation', (req, res) => onRequest(req, res, 'request'));
server.on('upgrade', onTakeover('upgrade'));
server.on('connect', onTakeover('connect'));

server.on('clientError', (err, socket) => {
  const rec = recordOf(socket);
  if (rec) {
    rec.errors.push({
      code: err.code || null,
      reason: err.reason || err.message || null,
      bytesParsed: typeof err.bytesParsed === 'number' ? err.bytesParsed : null,
      rawPacket: err.rawPacket ? Buffer.from(err.rawPacket).toString('base64') : null,
    });
  }
  if (socket.writable && err.code !== 'ECONNRESET') {
    socket.end('HTTP/1.1 400 Bad Request\r\nX-Llhttp-Origin: client-error\r\n' +
               'Content-Length: 0\r\nConnection: close\r\n\r\n');
  }
  socket.destroy();
});

function records() {
  const out = [];
  for (const rec of connections.values()) {
    out.push({
      id: rec.id,
      opened: rec.opened,
      closed: rec.closed,
      raw: Buffer.concat(rec.raw).toString('base64'),
      requests: rec.requests,
      errors: rec.errors,
    });
  }
  return {connections: out};
}

const control = http.createServer((req, res) => {
  const reply = (status, body) => {
    const text = JSON.stringify(body);
    res.writeHead(status, {'Content-Type': 'application/json',
                           'Content-Length': Buffer.byteLength(text)});
    res.end(text);
  };
  req.resume();
  req.on('end', () => {
    if (req.method === 'GET' && req.url === '/__records') return reply(200, records());
    if (req.method === 'POST' && req.url === '/__reset') {
      let closed = 0;
      for (const rec of connections.values()) {
        if (!rec.closed) closed++;
        rec.socket.destroy();
      }
      connections = new Map();
      return reply(200, {closed});
    }
    reply(404, {error: 'not_found'});
  });
});

server.listen(dataPort, '127.0.0.1', () => {
  control.listen(controlPort, '127.0.0.1', () => {
    console.log(`llhttp origin on 127.0.0.1:${dataPort}, control on 127.0.0.1:${controlPort}, ` +
                `node ${process.version}, llhttp ${process.versions.llhttp}`);
  });
});
