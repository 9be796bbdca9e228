/**
 * The Standard Schema v1 interface (standardschema.dev), written out here so that any conforming
 * validator (zod, valibot, arktype) plugs in without Plexus bundling one.
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  /** The Standard Schema properties. */
  readonly '~standard': StandardSchemaV1.Props<Input, Output>
}

/** Types of the Standard Schema v1 interface. */
// eslint-disable-next-line @typescript-eslint/no-namespace
export declare namespace StandardSchemaV1 {
  /** The properties every conforming schema exposes. */
  export interface Props<Input = unknown, Output = Input> {
    readonly version: 1
    readonly vendor: string
    readonly validate: (value: unknown) => Result<Output> | Promise<Result<Output>>
    readonly types?: Types<Input, Output> | undefined
  }
  /** A validation outcome. */
  export type Result<Output> = SuccessResult<Output> | FailureResult
  /** A success: the (possibly transformed) value. */
  export interface SuccessResult<Output> {
    readonly value: Output
    readonly issues?: undefined
  }
  /** A failure: the issues found. */
  export interface FailureResult {
    readonly issues: ReadonlyArray<Issue>
  }
  /** One problem found by a validator. */
  export interface Issue {
    readonly message: string
    readonly path?: ReadonlyArray<PropertyKey | PathSegment> | undefined
  }
  /** A path segment object. */
  export interface PathSegment {
    readonly key: PropertyKey
  }
  /** Type carriers for inference. */
  export interface Types<Input = unknown, Output = Input> {
    readonly input: Input
    readonly output: Output
  }
  /** The input type of a schema. */
  export type InferInput<S extends StandardSchemaV1> = NonNullable<S['~standard']['types']>['input']
  /** The output type of a schema. */
  export type InferOutput<S extends StandardSchemaV1> = NonNullable<
    S['~standard']['types']
  >['output']
}
