// One side of the report benchmark, plain JavaScript under plain node (no
// tsx), in a process of its own so its peak RSS is its own.
//   ours <built main.js> <dir>: `stagetrace report <dir> --format json` as
//     the built command runs it, output discarded;
//   bare - <dir>: the floor any JavaScript reader pays — each JSONL file read
//     line by line with readline and every line JSON.parse'd.
// Prints { ms, maxRssBytes }.
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';

const [mode, built, dir] = process.argv.slice(2);
const started = performance.now();
if (mode === 'ours') {
  const { main } = await import(pathToFileURL(built).href);
  let out = 0;
  const sink = new Writable({
    write(chunk, _encoding, done) {
      out += chunk.length;
      done();
    },
  });
  const code = await main(['report', dir, '--format', 'json'], { stdout: sink, stderr: process.stderr });
  if (code !== 0 || out === 0) throw new Error(`report exited ${code}`);
} else {
  for (const name of ['structured_processing.jsonl', 'performance_metrics.jsonl']) {
    const rl = createInterface({ input: createReadStream(join(dir, name), { encoding: 'utf8' }), crlfDelay: Number.POSITIVE_INFINITY });
    for await (const line of rl) if (line !== '') JSON.parse(line);
  }
}
const ms = performance.now() - started;
console.log(JSON.stringify({ ms, maxRssBytes: process.resourceUsage().maxRSS * 1024 }));
