// Log → bronze: events/s from a producer to committed bronze, and how long an event takes from
// its append to being visible in a committed bronze Delta version.
//
//   npm run build && npm run bench:log [-- --rates 25000,50000,100000,150000 --seconds 15]
//
// In one process, as `freshet up` runs them (--same-thread: bronze on the producer's thread, as
// `freshet up --no-bronze-thread` and before bronze had its own thread): an EmbeddedLog (fsync 'always', the platform's
// default: an append resolves once durable) with one topic of --partitions partitions, and a
// BronzeWriter committing what the log holds every --bronze-interval ms (250, the platform's
// default) with the platform's --max-batch (50,000 per partition). The producer is direct, not
// the simulator: it appends ~250-byte retail POS events (one line each, with the headers the
// simulator sets) at a fixed open-loop rate, at most --inflight appends in flight, so what is
// measured is the log and the bronze writer; the simulator's own generation and schema
// validation (~30k events/s on 2 cores) would cap the rate before either.
//
// For each rate: --warmup s, then --seconds s measured, then the producer stops and bronze drains.
// Latency = commit of the bronze version holding an event − the start of the append call that
// carried it. Stage times are summed over the measured commits, by wrapping the log's read, the
// DuckDB connection, DeltaTable.stageDataFile and DeltaTable.append (the appender loop is the rest).
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Session } from '../dist/engine/index.js';
import { LocalObjectStore } from '../dist/lake/index.js';
import { EmbeddedLog, KafkaLog, parseKafkaUrl } from '../dist/log/index.js';
import { Metrics } from '../dist/observe/index.js';
import { BronzeThread, BronzeWriter, ThreadedBronzeWriter } from '../dist/pipeline/index.js';

const { values } = parseArgs({
  options: {
    rates: { type: 'string', default: '25000,50000,100000,150000' },
    seconds: { type: 'string', default: '15' },
    warmup: { type: 'string', default: '3' },
    partitions: { type: 'string', default: '4' },
    'bronze-interval': { type: 'string', default: '250' },
    'max-batch': { type: 'string', default: '50000' },
    inflight: { type: 'string', default: '8' },
    fsync: { type: 'string', default: 'always' },
    json: { type: 'boolean', default: false },
    'append-only': { type: 'boolean', default: false },
    'same-thread': { type: 'boolean', default: false },
    log: { type: 'string' },
    'raw-events': { type: 'string', default: '1000000' },
    'append-batch': { type: 'string', default: '10000' },
  },
});
const rates = values.rates.split(',').map(Number);
const seconds = Number(values.seconds);
const warmup = Number(values.warmup);
const partitions = Number(values.partitions);
const interval = Number(values['bronze-interval']);
const maxBatch = Number(values['max-batch']);
const maxInflight = Number(values.inflight);
const appendOnly = values['append-only'];
const kafkaUrl = values.log;
const sameThread = values['same-thread'];
/** Most events in one append (one produce request on Kafka). */
const appendBatch = Number(values['append-batch']);
const runId = `${process.pid}-${Date.now().toString(36)}`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const TENDERS = ['cash', 'card', 'upi', 'wallet'];
/** A ~250-byte POS sale of one line, deterministic in `seq`. */
function event(seq) {
  const store = `S${String((seq * 7919) % 800).padStart(4, '0')}`;
  const value = {
    event_id: `bench-${seq}`,
    event_ts: new Date(1_764_000_000_000 + seq).toISOString(),
    store_id: store,
    bill_id: `B-${store}-${String(seq % 10_000_000).padStart(7, '0')}`,
    register_id: `${store}-R0${seq % 8}`,
    kind: 'sale',
    tender: TENDERS[seq % 4],
    sku: `SKU${String((seq * 104729) % 3000).padStart(5, '0')}`,
    qty: 1 + (seq % 3),
    unit_price_paise: 4900 + (seq % 50) * 1000,
    discount_paise: 0,
    gst_rate_pct: 5,
  };
  return {
    key: store,
    value: Buffer.from(JSON.stringify(value)),
    headers: {
      'freshet.source': 'bench',
      'freshet.seq': String(seq),
      'freshet.event-id': value.event_id,
      'freshet.schema-id': '1',
    },
  };
}

/** Weighted percentile over [value, weight] pairs. */
function pct(samples, p) {
  if (samples.length === 0) return NaN;
  const s = [...samples].sort((a, b) => a[0] - b[0]);
  const total = s.reduce((n, [, w]) => n + w, 0);
  let acc = 0;
  for (const [v, w] of s) {
    acc += w;
    if (acc >= (p / 100) * total) return v;
  }
  return s[s.length - 1][0];
}

function timed(obj, name, into, key) {
  const orig = obj[name].bind(obj);
  obj[name] = async (...args) => {
    const t0 = performance.now();
    try {
      return await orig(...args);
    } finally {
      into[key] += performance.now() - t0;
    }
  };
}

async function measure(rate) {
  const dir = await mkdtemp(join(tmpdir(), 'freshet-bench-log-'));
  const topic = 'pos.transactions';
  // Fresh Kafka topics per rate, so every run starts from an empty topic.
  const kafkaOpts = kafkaUrl && {
    ...parseKafkaUrl(kafkaUrl),
    clientId: 'freshet-bench',
    topicPrefix: `bench-${runId}-${rate}.`,
  };
  const log = kafkaOpts
    ? await KafkaLog.open(kafkaOpts)
    : await EmbeddedLog.open(join(dir, 'log'), { fsync: values.fsync });
  await log.createTopic(topic, { partitions });
  const session = await Session.open();
  const conn = await session.connect();
  const store = new LocalObjectStore(join(dir, 'lake'));
  const stage = { total: 0, read: 0, duckdb: 0, stage: 0, commit: 0 };
  let writer;
  let thread = null;
  if (sameThread) {
    writer = await BronzeWriter.open({
      log,
      conn,
      store,
      topic,
      partitions,
      tmpDir: join(dir, 'tmp'),
      metrics: new Metrics(),
      maxBatch,
    });
    timed(log, 'read', stage, 'read');
    // Connection.rows goes through Connection.query: wrapping both would count a COPY twice.
    for (const m of ['run', 'query'])
      if (typeof conn[m] === 'function') timed(conn, m, stage, 'duckdb');
    timed(writer.delta, 'stageDataFile', stage, 'stage');
    timed(writer.delta, 'append', stage, 'commit');
  } else {
    // As the platform runs it: frames read here, decoded and committed on the bronze thread
    // (on Kafka, the bronze thread fetches with its own client).
    thread = new BronzeThread({
      lake: join(dir, 'lake'),
      tmpDir: join(dir, 'tmp'),
      topics: [{ topic, partitions }],
      maxBatch,
      ...(kafkaOpts ? { kafka: { ...kafkaOpts, clientId: 'freshet-bench-bronze' } } : {}),
    });
    [writer] = await ThreadedBronzeWriter.openAll({
      thread,
      log,
      store,
      topics: [{ topic, partitions }],
      metrics: new Metrics(),
      maxBatch,
    });
    if (kafkaOpts) timed(thread, 'pull', stage, 'commit');
    else {
      timed(log, 'readFrames', stage, 'read');
      timed(thread, 'commit', stage, 'commit');
    }
  }
  timed(writer, 'writeOnce', stage, 'total');

  // Per partition, the appends not yet visible in bronze: [last offset, count, started at].
  const pending = Array.from({ length: partitions }, () => []);
  const appendMs = [];
  const visibleMs = [];
  let measuring = false;
  let produced = 0;
  let inflight = 0;
  let appendErrors = 0;
  let stopProducer = false;
  const t0 = performance.now();

  const producer = (async () => {
    let seq = 0;
    while (!stopProducer) {
      const due = Math.floor(((performance.now() - t0) / 1000) * rate) - seq;
      if (due <= 0 || inflight >= maxInflight) {
        await sleep(2);
        continue;
      }
      const n = Math.min(due, appendBatch);
      const records = new Array(n);
      for (let i = 0; i < n; i++) records[i] = event(seq + i);
      seq += n;
      inflight++;
      const started = performance.now();
      const counted = measuring;
      log
        .append(topic, records)
        .then((results) => {
          const done = performance.now();
          if (counted) appendMs.push([done - started, n]);
          const last = new Array(partitions).fill(-1);
          const count = new Array(partitions).fill(0);
          for (const r of results) {
            count[r.partition]++;
            if (r.offset > last[r.partition]) last[r.partition] = r.offset;
          }
          for (let p = 0; p < partitions; p++)
            if (count[p] > 0) pending[p].push([last[p], count[p], started, counted]);
          produced += n;
        })
        .catch(() => appendErrors++)
        .finally(() => inflight--);
      await sleep(0);
    }
  })();

  let stopBronze = false;
  let committed = 0;

  let committedInWindow = 0;
  let commitsInWindow = 0;
  const windowStage = { total: 0, read: 0, duckdb: 0, stage: 0, commit: 0 };
  const bronze = (async () => {
    while (!stopBronze) {
      const stepStart = performance.now();
      const before = { ...stage };
      const rows = appendOnly ? 0 : await writer.writeOnce();
      const now = performance.now();
      // Stage times of the commits that finish inside the measured window, whole.
      if (rows > 0 && measuring)
        for (const k of Object.keys(windowStage)) windowStage[k] += stage[k] - before[k];
      if (rows > 0) {
        committed += rows;

        if (measuring) {
          committedInWindow += rows;
          commitsInWindow++;
        }
        const next = writer.nextOffsets;
        for (let p = 0; p < partitions; p++) {
          const q = pending[p];
          while (q.length > 0 && q[0][0] < next[p]) {
            const [, n, started, counted] = q.shift();
            if (counted) visibleMs.push([now - started, n]);
          }
        }
      }
      // As the platform's bronze Loop (fixed rate): the next step starts bronzeIntervalMs after
      // this one started, at once if it took longer.
      await sleep(Math.max(0, interval - (now - stepStart)));
    }
  })();

  await sleep(warmup * 1000);
  measuring = true;
  const produced0 = produced;
  const w0 = performance.now();
  await sleep(seconds * 1000);
  measuring = false;
  const elapsed = (performance.now() - w0) / 1000;
  const producedInWindow = produced - produced0;
  const lagAtEnd = produced - committed;
  stopProducer = true;
  await producer;
  while (inflight > 0) await sleep(5);
  const drainStart = performance.now();
  while (!appendOnly && !(await writer.caughtUp())) await sleep(20);
  const drainS = (performance.now() - drainStart) / 1000;
  stopBronze = true;
  await bronze;
  const total = produced;
  const inBronze = writer.state.rows;
  await thread?.close();
  await log.close();
  conn.close();
  session.close();
  await rm(dir, { recursive: true, force: true });

  const per = (ms) => (commitsInWindow ? Math.round(ms / commitsInWindow) : 0);
  const writeMs = commitsInWindow
    ? {
        total: per(windowStage.total),
        read: per(windowStage.read),
        duckdb: per(windowStage.duckdb),
        stage: per(windowStage.stage),
        commit: per(windowStage.commit),
      }
    : null;
  return {
    rate,
    producedPerS: Math.round(producedInWindow / elapsed),
    bronzePerS: Math.round(committedInWindow / elapsed),
    appendP50: pct(appendMs, 50),
    appendP99: pct(appendMs, 99),
    visibleP50: pct(visibleMs, 50),
    visibleP99: pct(visibleMs, 99),
    visibleMax: pct(visibleMs, 100),
    commits: commitsInWindow,
    rowsPerCommit: commitsInWindow ? Math.round(committedInWindow / commitsInWindow) : 0,
    writeMs,
    lagAtEnd,
    drainS,
    exact: appendOnly || total === inBronze,
    appendErrors,
  };
}

/**
 * The same Kafka client with no Freshet in the path: an idempotent acks=all producer sending the
 * same events in the same batches one request at a time (as KafkaLog does), then a consumer
 * reading them all back from the earliest offset. Events/s of each.
 */
async function rawKafka(total) {
  const kafka = await import('@platformatic/kafka');
  const { brokers } = parseKafkaUrl(kafkaUrl);
  const base = {
    clientId: 'freshet-bench-raw',
    bootstrapBrokers: brokers,
    autocreateTopics: false,
  };
  const topicName = `bench-${runId}-raw`;
  const admin = new kafka.Admin(base);
  await admin.createTopics({ topics: [topicName], partitions });
  await admin.close();
  const producer = new kafka.Producer({
    ...base,
    idempotent: true,
    acks: kafka.ProduceAcks.ALL,
  });
  const batch = Math.min(appendBatch, 10_000); // one produce request (the broker's message.max.bytes)
  const t0 = performance.now();
  for (let seq = 0; seq < total; seq += batch) {
    const messages = [];
    for (let i = seq; i < Math.min(total, seq + batch); i++) {
      const e = event(i);
      messages.push({
        topic: topicName,
        key: Buffer.from(e.key),
        value: e.value,
        headers: new Map(
          Object.entries(e.headers).map(([k, v]) => [Buffer.from(k), Buffer.from(v)]),
        ),
      });
    }
    await producer.send({ messages });
  }
  const produceS = (performance.now() - t0) / 1000;
  await producer.close();
  const consumer = new kafka.Consumer({ ...base, groupId: `bench-raw-${runId}` });
  const t1 = performance.now();
  const stream = await consumer.consume({
    topics: [topicName],
    mode: kafka.MessagesStreamModes.EARLIEST,
    autocommit: false,
    maxWaitTime: 100,
  });
  let read = 0;
  for await (const message of stream) {
    if (message.value.length > 0) read++;
    if (read >= total) break;
  }
  const consumeS = (performance.now() - t1) / 1000;
  await stream.close();
  await consumer.close();
  return {
    total,
    producePerS: Math.round(total / produceS),
    consumePerS: Math.round(read / consumeS),
  };
}

const results = [];
for (const rate of rates) {
  process.stderr.write(`rate ${rate}/s: ${warmup} s warm-up, ${seconds} s measured…\n`);
  results.push(await measure(rate));
}
let raw = null;
if (kafkaUrl) {
  process.stderr.write(`raw client: ${values['raw-events']} events produced, then consumed…\n`);
  raw = await rawKafka(Number(values['raw-events']));
}
if (values.json) {
  console.log(JSON.stringify({ results, raw }));
} else {
  const ms = (v) => (Number.isFinite(v) ? `${Math.round(v)} ms` : '–');
  console.log(
    `log → bronze, ${kafkaUrl ? `Kafka at ${kafkaUrl} (idempotent, acks=all)` : `embedded log (fsync ${values.fsync})`}, ${partitions} partitions, bronze every ${interval} ms, ` +
      `~250-byte POS events, ${seconds} s per rate; load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}${appendOnly ? '; append only (no bronze)' : ''}`,
  );
  console.table(
    results.map((r) => ({
      'target ev/s': r.rate,
      'produced ev/s': r.producedPerS,
      'bronze ev/s': r.bronzePerS,
      'append ack p50/p99': `${ms(r.appendP50)} / ${ms(r.appendP99)}`,
      'visible p50/p99/max': `${ms(r.visibleP50)} / ${ms(r.visibleP99)} / ${ms(r.visibleMax)}`,
      'rows/commit': r.rowsPerCommit,
      'lag at end': r.lagAtEnd,
      // With the producer stopped, bronze alone works off the backlog.
      'drain ev/s': r.lagAtEnd >= 20_000 ? Math.round(r.lagAtEnd / r.drainS) : '–',
      'all in bronze': r.exact ? 'yes' : 'NO',
    })),
  );
  if (raw) {
    const best = Math.max(...results.map((r) => r.bronzePerS));
    console.log(
      `the same Kafka client with no Freshet in the path (@platformatic/kafka, idempotent acks=all producer, batches of ${appendBatch}, one request at a time; consumer from earliest)`,
    );
    console.table([
      {
        events: raw.total,
        'raw produce ev/s': raw.producePerS,
        'raw consume ev/s': raw.consumePerS,
        'Freshet into bronze ev/s (best)': best,
        'Freshet ÷ raw produce': (best / raw.producePerS).toFixed(2),
        'Freshet ÷ raw consume': (best / raw.consumePerS).toFixed(2),
      },
    ]);
  }
  if (appendOnly) process.exit(0);
  if (sameThread) {
    console.log(
      'per bronze commit (ms), same thread: log read · DuckDB (COPY to Parquet, stats, DELETE) · stage file · Delta commit',
    );
    console.table(
      results.map((r) => ({
        'target ev/s': r.rate,
        'rows/commit': r.rowsPerCommit,
        'write total': r.writeMs?.total,
        'log read': r.writeMs?.read,
        'appender (JS)':
          r.writeMs &&
          r.writeMs.total - r.writeMs.read - r.writeMs.duckdb - r.writeMs.stage - r.writeMs.commit,
        duckdb: r.writeMs?.duckdb,
        'stage file': r.writeMs?.stage,
        'delta commit': r.writeMs?.commit,
      })),
    );
  } else {
    console.log(
      'per bronze commit (ms): raw frames read on the main thread · decode + Parquet + Delta commit on the bronze thread',
    );
    console.table(
      results.map((r) => ({
        'target ev/s': r.rate,
        'rows/commit': r.rowsPerCommit,
        'write total': r.writeMs?.total,
        'frames read (main)': r.writeMs?.read,
        'commit (bronze thread)': r.writeMs?.commit,
      })),
    );
  }
}
