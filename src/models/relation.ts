/** A table or view in the warehouse, rendered the way dbt renders `{{ this }}` and `{{ ref() }}`. */
export class Relation {
  constructor(
    readonly schema: string,
    readonly identifier: string,
    readonly database: string | null = null,
  ) {}

  // dbt exposes these names too; models and macros use them.
  get name(): string {
    return this.identifier;
  }
  get table(): string {
    return this.identifier;
  }

  toString(): string {
    const q = (s: string) => `"${s.replaceAll('"', '""')}"`;
    return this.schema ? `${q(this.schema)}.${q(this.identifier)}` : q(this.identifier);
  }
}
