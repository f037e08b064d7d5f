import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The platform's Prometheus metrics, one registry per running platform (so tests that start
 * several platforms in one process do not share counters). Names follow Prometheus conventions:
 * `_total` for counters, base units (seconds, bytes).
 */
export class Metrics {
  readonly registry = new Registry();

  readonly eventsAccepted = new Counter({
    name: 'freshet_events_accepted_total',
    help: 'Events durably appended to the log, by topic.',
    labelNames: ['topic'] as const,
    registers: [this.registry],
  });
  readonly eventsRejected = new Counter({
    name: 'freshet_events_rejected_total',
    help: 'Events that failed schema validation and went to quarantine, by topic.',
    labelNames: ['topic'] as const,
    registers: [this.registry],
  });
  readonly logAppendSeconds = new Histogram({
    name: 'freshet_log_append_seconds',
    help: 'Time to append (and fsync) one batch to the log.',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });
  readonly bronzeRows = new Counter({
    name: 'freshet_bronze_rows_total',
    help: 'Rows committed to bronze Delta tables, by table.',
    labelNames: ['table'] as const,
    registers: [this.registry],
  });
  readonly bronzeCommitSeconds = new Histogram({
    name: 'freshet_bronze_commit_seconds',
    help: 'Time to write and commit one bronze batch (Parquet + Delta commit).',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly modelRunSeconds = new Histogram({
    name: 'freshet_model_run_seconds',
    help: 'Time of one run of the whole model DAG, in one transaction.',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly modelRuns = new Counter({
    name: 'freshet_model_runs_total',
    help: 'Runs of the model DAG, by outcome (ok, error).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly lakePublishes = new Counter({
    name: 'freshet_lake_publishes_total',
    help: 'Delta commits of silver and gold tables, by table.',
    labelNames: ['table'] as const,
    registers: [this.registry],
  });
  readonly compactions = new Counter({
    name: 'freshet_lake_compactions_total',
    help: 'Compactions of small files that committed, by table.',
    labelNames: ['table'] as const,
    registers: [this.registry],
  });
  readonly tableFreshness = new Gauge({
    name: 'freshet_table_freshness_seconds',
    help: 'Seconds since the newest event reflected in the table was accepted by the log.',
    labelNames: ['table'] as const,
    registers: [this.registry],
  });
  readonly tableVersion = new Gauge({
    name: 'freshet_table_delta_version',
    help: 'Latest Delta version of a lake table.',
    labelNames: ['table'] as const,
    registers: [this.registry],
  });
  readonly quarantinedRows = new Gauge({
    name: 'freshet_quarantined_rows',
    help: 'Events held in quarantine (silver.quarantine) with the reason they could not be used, by source table.',
    labelNames: ['table'] as const,
    registers: [this.registry],
  });
  readonly dataTestFailures = new Gauge({
    name: 'freshet_data_test_failures',
    help: "Rows that break each of the project's data tests at their last run (0 = passing).",
    labelNames: ['test', 'severity'] as const,
    registers: [this.registry],
  });
  readonly httpIngestRequests = new Counter({
    name: 'freshet_http_ingest_requests_total',
    help: 'HTTP ingest requests by source and outcome (accepted, replayed, or why refused: unauthorized, forbidden, invalid, malformed, too_large, throttled, ...).',
    labelNames: ['source', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly sourceLag = new Gauge({
    name: 'freshet_source_lag',
    help: 'How far each source is behind its system: WAL a PostgreSQL slot holds back (unit="bytes"), seconds behind the MySQL binlog head (unit="seconds"), records behind a Kafka topic (unit="records").',
    labelNames: ['source', 'unit'] as const,
    registers: [this.registry],
  });
  readonly sourceUp = new Gauge({
    name: 'freshet_source_up',
    help: 'Whether each source is running (1) or not (0: stopped, finished or failed).',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });
  readonly errors = new Counter({
    name: 'freshet_errors_total',
    help: 'Errors by stage (source, bronze, models, publish, serve). Each is also logged.',
    labelNames: ['stage'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'freshet_process_' });
  }
}
