import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ModelRunner, NodeResult } from './runner.js';

/*
 * dbt's JSON artifacts (target/manifest.json, target/run_results.json) in the shape dbt writes
 * them, holding the keys that tools read (unique_id, resource_type, depends_on, config, status,
 * timing, failures, …), so scripts built on dbt's artifacts work on Freshet's.
 */

const SCHEMA = 'https://schemas.getdbt.com/dbt';

function metadata(runner: ModelRunner, kind: string, version: string) {
  return {
    dbt_schema_version: `${SCHEMA}/${kind}/${version}.json`,
    dbt_version: 'freshet',
    generated_at: new Date().toISOString(),
    invocation_id: runner.compiler.invocationId,
    adapter_type: 'duckdb',
    env: {},
  };
}

/** The manifest: every node with its config, dependencies and relation. */
export function buildManifest(runner: ModelRunner): Record<string, unknown> {
  const { project, compiler, graph } = runner;
  const nodes: Record<string, unknown> = {};
  const sources: Record<string, unknown> = {};
  const parentMap: Record<string, string[]> = {};
  const childMap: Record<string, string[]> = {};
  for (const node of graph.nodes.values()) {
    parentMap[node.id] = node.type === 'source' ? [] : [...node.parents];
    childMap[node.id] = [...(graph.children.get(node.id) ?? [])];
    const base = {
      unique_id: node.id,
      resource_type: node.type,
      name: node.type === 'source' ? node.name.split('.')[1] : node.name,
      package_name: project.name,
      path: node.path,
      original_file_path: node.path,
      fqn: node.fqn,
      tags: node.tags,
      config: node.config,
    };
    if (node.type === 'source') {
      const src = project.sources.get(node.name)!;
      sources[node.id] = {
        ...base,
        source_name: src.source,
        schema: src.schema,
        identifier: src.identifier,
        database: runner.target.database,
        relation_name: `"${src.schema}"."${src.identifier}"`,
        description: src.description ?? '',
        loaded_at_field: src.loadedAtField ?? null,
        freshness: src.freshness ?? null,
        columns: Object.fromEntries(
          src.columns.map((c) => [c.name, { name: c.name, description: c.description ?? '' }]),
        ),
      };
      continue;
    }
    const entry: Record<string, unknown> = {
      ...base,
      database: runner.target.database,
      depends_on: { macros: [], nodes: node.parents },
    };
    if (node.type === 'model') {
      const m = compiler.models.get(node.name)!;
      Object.assign(entry, {
        schema: m.relation.schema,
        alias: m.relation.identifier,
        relation_name: m.config.materialized === 'ephemeral' ? null : m.relation.toString(),
        raw_code: m.node.raw,
        language: 'sql',
        description: m.node.description ?? '',
        columns: Object.fromEntries(
          m.node.columns.map((c) => [
            c.name,
            { name: c.name, description: c.description ?? '', data_type: c.data_type ?? null },
          ]),
        ),
        patch_path: m.node.patchPath ? `${project.name}://${m.node.patchPath}` : null,
        refs: m.refs.map((name) => ({ name, package: null, version: null })),
        sources: m.sources.map((s) => s.split('.')),
        compiled_path: join(project.targetPath, 'compiled', project.name, m.node.path),
      });
    } else if (node.type === 'seed') {
      const rel = compiler.seedRelation(node.name);
      Object.assign(entry, {
        schema: rel.schema,
        alias: rel.identifier,
        relation_name: rel.toString(),
      });
    } else if (node.type === 'test') {
      const t = compiler.dataTests.get(node.name)!;
      Object.assign(entry, {
        schema: compiler.schemaFor('dbt_test__audit'),
        alias: t.alias,
        raw_code: t.raw ?? `{{ test_${t.testName}(**_dbt_generic_test_kwargs) }}`,
        column_name: t.column ?? null,
        test_metadata: t.spec
          ? { name: t.testName, kwargs: { ...t.spec.args }, namespace: t.spec.namespace ?? null }
          : undefined,
        attached_node: t.attachedTo
          ? (graph.nodes.get(
              `${t.attachedTo.kind === 'source' ? 'source' : t.attachedTo.kind}.${project.name}.${t.attachedTo.name}`,
            )?.id ?? null)
          : null,
        refs: t.refs.map((name) => ({ name, package: null, version: null })),
        sources: t.sources.map((s) => s.split('.')),
      });
    }
    nodes[node.id] = entry;
  }
  return {
    metadata: { ...metadata(runner, 'manifest', 'v12'), project_name: project.name },
    nodes,
    sources,
    macros: {},
    docs: {},
    exposures: {},
    metrics: {},
    groups: {},
    selectors: {},
    disabled: {},
    parent_map: parentMap,
    child_map: childMap,
    semantic_models: {},
    saved_queries: {},
    unit_tests: {},
  };
}

export function buildRunResults(
  runner: ModelRunner,
  results: NodeResult[],
  elapsedSeconds: number,
  args: Record<string, unknown>,
): Record<string, unknown> {
  return {
    metadata: metadata(runner, 'run-results', 'v6'),
    results: results.map((r, i) => ({
      status: r.status,
      timing: [
        { name: 'compile', started_at: r.startedAt, completed_at: r.startedAt },
        { name: 'execute', started_at: r.startedAt, completed_at: r.completedAt },
      ],
      thread_id: `Thread-${(i % Math.max(1, runner.target.threads)) + 1}`,
      execution_time: r.executionTime,
      adapter_response: r.rowsAffected !== undefined ? { rows_affected: r.rowsAffected } : {},
      message: r.message || null,
      failures: r.failures,
      unique_id: r.node.id,
      compiled: r.compiledSql !== undefined,
      compiled_code: r.compiledSql ?? null,
      relation_name:
        r.node.type === 'model'
          ? runner.models.get(r.node.name)!.relation.toString()
          : r.node.type === 'seed'
            ? runner.compiler.seedRelation(r.node.name).toString()
            : null,
    })),
    elapsed_time: elapsedSeconds,
    args,
  };
}

async function writeJson(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, JSON.stringify(value, null, 2) + '\n');
}

export async function writeArtifacts(
  runner: ModelRunner,
  targetDir: string,
  results: NodeResult[] | null,
  elapsedSeconds: number,
  args: Record<string, unknown>,
): Promise<void> {
  await writeJson(join(targetDir, 'manifest.json'), buildManifest(runner));
  if (results) {
    await writeJson(
      join(targetDir, 'run_results.json'),
      buildRunResults(runner, results, elapsedSeconds, args),
    );
  }
}

/** target/compiled/<project>/<path>: the SQL each model and test runs, as dbt writes it. */
export async function writeCompiled(
  runner: ModelRunner,
  targetDir: string,
  path: string,
  sql: string,
): Promise<string> {
  const file = join(targetDir, 'compiled', runner.project.name, path);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, sql.trim() + '\n');
  return file;
}
