// A small ratings service modelled on the Istio bookinfo `ratings` service.
const http = require('node:http');

const RATINGS = /^\/ratings\/(\d+)$/;

function reply(response, status, body) {
  const data = JSON.stringify(body);
  response.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) });
  response.end(data);
}

const server = http.createServer((request, response) => {
  const path = request.url ?? '/';
  const match = RATINGS.exec(path);
  if (request.method === 'GET' && path === '/health') {
    reply(response, 200, { status: 'Ratings is healthy' });
  } else if (request.method === 'GET' && match !== null) {
    reply(response, 200, { id: Number(match[1]), ratings: { Reviewer1: 5, Reviewer2: 4 } });
  } else {
    reply(response, 404, { error: 'not found' });
  }
  console.log(`${request.socket.remoteAddress} "${request.method} ${path}" ${response.statusCode}`);
});

const port = Number(process.env.PORT || 9080);
server.listen(port, '0.0.0.0', () => console.log(`ratings listening on port ${port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
