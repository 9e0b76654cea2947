/**
 * Kubernetes manifests read from a folder of deploy/kubernetes and validated offline against the API's
 * schemas (the validators kubernetes-models compiles from its OpenAPI definitions). Those schemas, like
 * the API server without strict field validation, let unknown fields through: tests assert every field
 * that matters explicitly.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { Model } from '@kubernetes-models/base';
import { parseAllDocuments } from 'yaml';

// biome-ignore lint/suspicious/noExplicitAny: each model class takes its own kind's data
export type ModelClass = new (data: any) => Model<unknown>;

export interface Manifest {
  file: string;
  object: Record<string, unknown>;
}

/** The YAML documents of one file's text; a syntax error throws, naming the file. */
export function parseManifests(file: string, text: string): Manifest[] {
  return parseAllDocuments(text).map((document) => {
    if (document.errors.length > 0) throw new Error(`${file}: ${document.errors[0]?.message}`);
    return { file, object: document.toJSON() as Record<string, unknown> };
  });
}

/** Every .yaml file's documents in `directory` (not its subfolders, as `kubectl apply -f` reads it). */
export function readManifests(directory: URL): Manifest[] {
  return readdirSync(directory)
    .filter((name) => name.endsWith('.yaml'))
    .sort()
    .flatMap((name) => parseManifests(name, readFileSync(new URL(name, directory), 'utf8')));
}

/**
 * Validates one object against its kind's schema, `models` holding the kinds allowed by apiVersion and
 * kind ("apps/v1 Deployment"); throws, naming the file and the failing paths.
 */
export function validate({ file, object }: Manifest, models: Record<string, ModelClass>): Model<unknown> {
  const kind = `${object.apiVersion} ${object.kind}`;
  const ModelOfKind = models[kind];
  if (ModelOfKind === undefined)
    throw new Error(`${file}: ${kind} is not one of ${Object.keys(models).join(', ')}`);
  const model = new ModelOfKind(object);
  try {
    model.validate();
  } catch (error) {
    throw new Error(`${file}: ${kind} does not match the Kubernetes API schema: ${(error as Error).message}`);
  }
  return model;
}

/** Whether a non-empty label selector selects an object with these labels. */
export function matches(
  selector: Record<string, string> | undefined,
  labels: Record<string, string> | undefined,
): boolean {
  return (
    selector !== undefined &&
    Object.keys(selector).length > 0 &&
    Object.entries(selector).every(([key, value]) => labels?.[key] === value)
  );
}
