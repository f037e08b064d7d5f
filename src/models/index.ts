export { ModelRunner } from './runner.js';
export type {
  ModelRunResult,
  RunOptions,
  NodeResult,
  NodeStatus,
  ExecuteOptions,
  OpenOptions,
} from './runner.js';
export { Compiler, DEFAULT_TARGET } from './compile.js';
export type { ParsedModel, ParsedTest, Target } from './compile.js';
export { resolveTarget } from './profiles.js';
export { loadProject } from './project.js';
export type { Project, ModelNode, ModelConfig, SourceTable } from './project.js';
export { Relation } from './relation.js';
export { topologicalOrder } from './dag.js';
export { ProjectGraph } from './graph.js';
export type { GraphNode, ResourceType } from './graph.js';
export { buildManifest, writeArtifacts, writeCompiled } from './artifacts.js';
export { checkFreshness } from './freshness.js';
export type { FreshnessResult } from './freshness.js';
export { ModelError, ProjectError, CompileError, ModelRunError } from './errors.js';
