import { relative } from 'node:path';
import type { Compiler } from './compile.js';
import { CompileError } from './errors.js';

export type ResourceType = 'model' | 'seed' | 'test' | 'source';

/** A node of the project's graph, named as dbt names it (unique_id, fqn). */
export interface GraphNode {
  id: string;
  type: ResourceType;
  name: string;
  /** dbt's fully qualified name: project, folders, name. */
  fqn: string[];
  /** Path relative to the project root. */
  path: string;
  tags: string[];
  parents: string[];
  config: Record<string, unknown>;
}

/** dbt's is_selected_node: the leaf name, or each selector part equal to the fqn part (globs allowed). */
function fqnMatches(fqn: string[], selector: string): boolean {
  const part = (pattern: string, value: string) =>
    new RegExp(
      `^${pattern
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.')}$`,
    ).test(value);
  if (fqn.length > 0 && part(selector, fqn[fqn.length - 1]!)) return true;
  const flat = fqn.flatMap((s) => s.split('.'));
  const wanted = selector.split('.');
  if (flat.length < wanted.length) return false;
  return wanted.every((w, i) => part(w, flat[i]!));
}

/** The DAG of a parsed project: models, seeds, tests and sources with their edges. */
export class ProjectGraph {
  readonly nodes = new Map<string, GraphNode>();
  readonly children = new Map<string, string[]>();

  constructor(readonly compiler: Compiler) {
    const pkg = compiler.project.name;
    const modelId = (n: string) => `model.${pkg}.${n}`;
    const seedId = (n: string) => `seed.${pkg}.${n}`;
    const sourceId = (key: string) => `source.${pkg}.${key}`;
    for (const [key, src] of compiler.project.sources) {
      this.add({
        id: sourceId(key),
        type: 'source',
        name: key,
        fqn: [pkg, src.source, src.name],
        path: src.path,
        tags: [],
        parents: [],
        config: {},
      });
    }
    for (const seed of compiler.project.seeds.values()) {
      this.add({
        id: seedId(seed.name),
        type: 'seed',
        name: seed.name,
        fqn: [pkg, seed.name],
        path: relative(compiler.project.root, seed.path),
        tags: (seed.config.tags as string[] | undefined) ?? [],
        parents: [],
        config: seed.config,
      });
    }
    for (const m of compiler.models.values()) {
      this.add({
        id: modelId(m.node.name),
        type: 'model',
        name: m.node.name,
        fqn: [pkg, ...m.node.fqnFolders, m.node.name],
        path: m.node.path,
        tags: m.config.tags,
        parents: [...m.refs.map(modelId), ...m.seedRefs.map(seedId), ...m.sources.map(sourceId)],
        config: m.config,
      });
    }
    for (const t of compiler.dataTests.values()) {
      this.add({
        id: `test.${pkg}.${t.name}`,
        type: 'test',
        name: t.name,
        fqn: [pkg, ...t.path.split('/').slice(1, -1), t.name],
        path: t.path,
        tags: t.config.tags,
        parents: [...t.refs.map(modelId), ...t.seedRefs.map(seedId), ...t.sources.map(sourceId)],
        config: t.config,
      });
    }
    for (const node of this.nodes.values())
      for (const p of node.parents)
        this.children.set(p, [...(this.children.get(p) ?? []), node.id]);
  }

  private add(node: GraphNode): void {
    this.nodes.set(node.id, node);
  }

  private walk(start: string, next: (id: string) => string[], depth: number): Set<string> {
    const out = new Set<string>();
    let frontier = [start];
    for (let d = 0; d < depth && frontier.length > 0; d++) {
      const following: string[] = [];
      for (const id of frontier)
        for (const n of next(id))
          if (!out.has(n)) {
            out.add(n);
            following.push(n);
          }
      frontier = following;
    }
    return out;
  }

  ancestors(id: string, depth = Infinity): Set<string> {
    return this.walk(id, (n) => this.nodes.get(n)?.parents ?? [], depth);
  }

  descendants(id: string, depth = Infinity): Set<string> {
    return this.walk(id, (n) => this.children.get(n) ?? [], depth);
  }

  /** The nodes one selector method matches (tag:, path:, source:, …, or a name/fqn). */
  private matchMethod(method: string, value: string): string[] {
    const out: string[] = [];
    const glob = (pattern: string) =>
      new RegExp(
        `^${pattern
          .replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replace(/\*/g, '.*')
          .replace(/\?/g, '.')}$`,
      );
    for (const node of this.nodes.values()) {
      let hit = false;
      switch (method) {
        case 'tag':
          hit = node.tags.some((t) => glob(value).test(t));
          break;
        case 'path': {
          const v = value.replace(/\/+$/, '');
          hit = node.path === v || node.path.startsWith(`${v}/`) || glob(v).test(node.path);
          break;
        }
        case 'source':
          hit =
            node.type === 'source' &&
            (glob(value).test(node.name) || glob(value).test(node.name.split('.')[0]!));
          break;
        case 'resource_type':
          hit = node.type === value;
          break;
        case 'test_type':
          hit =
            node.type === 'test' &&
            (value === 'singular'
              ? this.compiler.dataTests.get(node.name)?.kind === 'singular'
              : value === 'generic' || value === 'data'
                ? this.compiler.dataTests.get(node.name)?.kind === 'generic'
                : false);
          break;
        case 'test_name':
          hit =
            node.type === 'test' &&
            glob(value).test(this.compiler.dataTests.get(node.name)?.testName ?? node.name);
          break;
        case 'package':
          hit = node.fqn[0] === value;
          break;
        case 'fqn':
        case '': {
          if (node.type === 'source') break;
          // dbt's FQN method: the selector's dotted parts are a prefix of the node's fqn, with or
          // without the package; a bare name also matches the node's own name.
          hit = fqnMatches(node.fqn, value) || fqnMatches(node.fqn.slice(1), value);
          break;
        }
        default:
          if (method.startsWith('config.')) {
            const v = node.config[method.slice('config.'.length)];
            hit = Array.isArray(v) ? v.map(String).includes(value) : String(v) === value;
            break;
          }
          throw new CompileError(
            `unknown selector method '${method}:' (use a name, tag:, path:, source:, resource_type:, test_type:, test_name:, config.<key>:, fqn:)`,
          );
      }
      if (hit) out.push(node.id);
    }
    return out;
  }

  /** One selector term: [@][n+]method:value[+n]. */
  private selectTerm(term: string): Set<string> {
    const m = /^(@)?(?:(\d*)\+)?(.+?)(?:\+(\d*))?$/.exec(term);
    if (!m) throw new CompileError(`cannot read selector '${term}'`);
    const [, at, upDepth, body, downDepth] = m;
    const up = term.includes('+') && m[2] !== undefined;
    const down = m[4] !== undefined;
    const colon = body!.indexOf(':');
    const [method, value] =
      colon >= 0 ? [body!.slice(0, colon), body!.slice(colon + 1)] : ['', body!];
    const base = this.matchMethod(method, value);
    const out = new Set(base);
    for (const id of base) {
      if (up) for (const a of this.ancestors(id, upDepth ? Number(upDepth) : Infinity)) out.add(a);
      if (down || at) {
        for (const d of this.descendants(id, downDepth ? Number(downDepth) : Infinity)) {
          out.add(d);
          // @: every descendant's ancestors too, so the selection can be built on its own.
          if (at) for (const a of this.ancestors(d)) out.add(a);
        }
      }
    }
    return out;
  }

  /** dbt's selection: spaces are unions, commas intersections; then --exclude. */
  private resolve(specs: string[]): Set<string> {
    const out = new Set<string>();
    for (const spec of specs.flatMap((s) => s.split(/\s+/)).filter(Boolean)) {
      const parts = spec.split(',').map((p) => this.selectTerm(p));
      for (const id of parts[0]!) if (parts.every((p) => p.has(id))) out.add(id);
    }
    return out;
  }

  /**
   * The nodes of the given types that a command works on. Tests are picked up "eagerly", as in
   * dbt: a test is selected when any node it tests is selected.
   */
  select(
    types: ResourceType[],
    select: string[] | undefined,
    exclude: string[] | undefined,
  ): GraphNode[] {
    let chosen: Set<string>;
    if (select && select.length > 0) {
      chosen = this.resolve(select);
      if (types.includes('test')) {
        for (const node of this.nodes.values())
          if (node.type === 'test' && node.parents.some((p) => chosen.has(p))) chosen.add(node.id);
      }
    } else {
      chosen = new Set(this.nodes.keys());
    }
    if (exclude && exclude.length > 0) for (const id of this.resolve(exclude)) chosen.delete(id);
    return [...chosen]
      .map((id) => this.nodes.get(id)!)
      .filter((n) => types.includes(n.type))
      .sort((a, b) => a.id.localeCompare(b.id));
  }
}
