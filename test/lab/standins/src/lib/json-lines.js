// Newline-delimited JSON from a streaming HTTP response (a Kubernetes watch, etcd's gateway watch).

/**
 * Calls `onValue(value)` for each JSON value of `res`, one per line; blank lines and lines that
 * do not parse are skipped. `onValue` returning false stops reading the rest of the chunk (the
 * caller has ended the stream).
 */
export function readJsonLines(res, onValue) {
  let buf = '';
  res.setEncoding('utf8');
  res.on('data', (chunk) => {
    buf += chunk;
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i).trim();
      buf = buf.slice(i + 1);
      if (!line) continue;
      let value;
      try {
        value = JSON.parse(line);
      } catch {
        continue;
      }
      if (onValue(value) === false) return;
    }
  });
}

/**
 * `onEnd` wrapped to run once, however many of a stream's end, close and error events reach it;
 * `end.cancel()` keeps it from running at all (the caller stopped the stream).
 */
export function endOnce(onEnd) {
  let ended = false;
  const end = (err) => {
    if (ended) return;
    ended = true;
    onEnd(err);
  };
  end.cancel = () => {
    ended = true;
  };
  return end;
}
