export { ModelRunner } from './runner.js';
export type { ModelRunResult, RunOptions } from './runner.js';
export { Compiler, DEFAULT_TARGET } from './compile.js';
export type { ParsedModel, Target } from './compile.js';
export { loadProject } from './project.js';
export type { Project, ModelNode, ModelConfig, SourceTable } from './project.js';
export { Relation } from './relation.js';
export { topologicalOrder } from './dag.js';
export { ModelError, ProjectError, CompileError, ModelRunError } from './errors.js';
