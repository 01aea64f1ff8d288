// A static HTTP server for the lab's apt repository, bound to the bridge address only.
// Usage: node --import tsx test/lab/mirror-server.ts <dir> <address> <port>
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { join, normalize, sep } from 'node:path';

const [dir, address, portText] = process.argv.slice(2);
if (!dir || !address || !portText) {
  console.error('usage: mirror-server.ts <dir> <address> <port>');
  process.exit(2);
}
const root = normalize(dir);

const server = createServer((req, res) => {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405).end();
    return;
  }
  let path: string;
  try {
    path = decodeURIComponent(new URL(req.url ?? '/', 'http://mirror').pathname);
  } catch {
    res.writeHead(400).end();
    return;
  }
  const file = normalize(join(root, path));
  if (file !== root && !file.startsWith(root.endsWith(sep) ? root : root + sep)) {
    res.writeHead(403).end();
    return;
  }
  let size: number;
  try {
    const st = statSync(file);
    if (!st.isFile()) throw new Error('not a file');
    size = st.size;
  } catch {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'content-length': size, 'content-type': 'application/octet-stream' });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  createReadStream(file).pipe(res);
});
server.on('error', (err) => {
  console.error(`mirror server: ${err.message}`);
  process.exit(1);
});
server.listen(Number(portText), address, () => {
  console.log(`serving ${root} on http://${address}:${portText}/`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
