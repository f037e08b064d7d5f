import { CompileError } from './errors.js';
import type { ParsedModel } from './compile.js';

/**
 * Orders models so that every model runs after the models it refers to (Kahn's algorithm, ties
 * broken by name so runs are reproducible). A cycle is reported with its path.
 */
export function topologicalOrder(models: Map<string, ParsedModel>): string[] {
  const indegree = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const [name, m] of models) {
    indegree.set(name, m.refs.length);
    for (const ref of m.refs) dependents.set(ref, [...(dependents.get(ref) ?? []), name]);
  }
  const ready = [...indegree]
    .filter(([, d]) => d === 0)
    .map(([n]) => n)
    .sort();
  const order: string[] = [];
  while (ready.length > 0) {
    const name = ready.shift()!;
    order.push(name);
    for (const dep of dependents.get(name) ?? []) {
      const d = indegree.get(dep)! - 1;
      indegree.set(dep, d);
      if (d === 0) {
        ready.push(dep);
        ready.sort();
      }
    }
  }
  if (order.length !== models.size) {
    throw new CompileError(
      `models depend on each other in a cycle: ${findCycle(models).join(' -> ')}`,
    );
  }
  return order;
}

function findCycle(models: Map<string, ParsedModel>): string[] {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string): string[] | null => {
    if (state.get(name) === 'done') return null;
    if (state.get(name) === 'visiting') return [...stack.slice(stack.indexOf(name)), name];
    state.set(name, 'visiting');
    stack.push(name);
    for (const ref of models.get(name)?.refs ?? []) {
      const cycle = visit(ref);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(name, 'done');
    return null;
  };
  for (const name of models.keys()) {
    const cycle = visit(name);
    if (cycle) return cycle;
  }
  return [];
}
