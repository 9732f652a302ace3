import type { TSchema } from "@sinclair/typebox";
import { type TypeCheck, TypeCompiler } from "@sinclair/typebox/compiler";

/**
 * A schema's compiled check, compiled on first use: compiling every schema while modules load
 * would delay the first answer of every start, and of every CLI command, for checks most of them never run.
 */
export function lazyCheck<T extends TSchema>(schema: T): () => TypeCheck<T> {
  let check: TypeCheck<T> | undefined;
  return () => (check ??= TypeCompiler.Compile(schema));
}
