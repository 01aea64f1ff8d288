// Reads shared between concurrent callers. Every caller gets the result of a read that began after
// it asked, so it sees whatever happened before it asked (a node that has just joined); callers
// that ask while a read is running share the one next read instead of starting one each. The
// cluster facts are read this way: node-config on every worker asked kubectl on the first
// control-plane host for every Node of the cluster on its own, so at 100 workers the reads grew
// with the square of the cluster while most of them answered the same question at the same time.

export function sharedReads<A, R>(read: (arg: A) => Promise<R>): (arg: A) => Promise<R> {
  let running: Promise<R> | undefined;
  let queued: Promise<R> | undefined;
  const start = (arg: A): Promise<R> => {
    const p = read(arg).finally(() => {
      if (running === p) running = undefined;
    });
    running = p;
    return p;
  };
  return (arg: A): Promise<R> => {
    if (running === undefined) return start(arg);
    queued ??= running
      .catch(() => undefined)
      .then(() => {
        queued = undefined;
        return start(arg);
      });
    return queued;
  };
}
