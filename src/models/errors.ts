/** Errors of the dbt-compatible model engine. Each names the model and file it concerns. */
export class ModelError extends Error {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = 'ModelError';
  }
}

/** The project's files are missing or malformed (dbt_project.yml, a schema file, a seed). */
export class ProjectError extends ModelError {
  override name = 'ProjectError';
}

/** A model's Jinja could not be rendered, or it refers to a model or source that does not exist. */
export class CompileError extends ModelError {
  override name = 'CompileError';
}

/** The database refused a model's compiled SQL. */
export class ModelRunError extends ModelError {
  override name = 'ModelRunError';
  constructor(
    message: string,
    readonly model: string,
    readonly compiledSql: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
  }
}
