import { z } from 'zod';
import { gpuSpecSchema } from '../model/gpu-request.js';

export const TEMPLATE_FILE = 'template.yml';

const scalar = z.union([z.string(), z.number(), z.boolean()]);
const identifier = z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'must be lowercase letters, digits, "-" and "_"');

export const templateSchema = z
  .object({
    description: z.string(),
    compose: z.string().default('compose.yml'),
    params: z
      .record(
        z.string().regex(/^[a-z_][a-z0-9_]*$/, 'parameter names are lowercase letters, digits and "_"'),
        z
          .object({
            default: scalar,
            description: z.string(),
            choices: z.array(scalar).optional(),
            /**
             * What each choice means elsewhere in the template, as placeholders named after the parameter:
             * `means: { lab: { path: lab } }` makes ${{ app.path }} "lab" where app is lab.
             */
            means: z.record(z.string(), z.record(z.string().regex(/^[a-z_][a-z0-9_]*$/), scalar)).optional(),
          })
          .strict(),
      )
      .default({}),
    ports: z
      .record(
        identifier,
        z
          .object({
            service: identifier,
            container: z.number().int().min(1).max(65535),
            host: z.number().int().min(1).max(65535),
            protocol: z.enum(['tcp', 'udp']).default('tcp'),
            url: z.string().optional(),
            description: z.string().optional(),
          })
          .strict(),
      )
      .default({}),
    secrets: z
      .record(
        z.string().regex(/^[a-z_][a-z0-9_]*$/),
        z
          .object({
            env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/),
            services: z.array(identifier).min(1),
            description: z.string().optional(),
          })
          .strict(),
      )
      .default({}),
    gpus: gpuSpecSchema.default('none'),
    /** The services that get the GPU reservation; every service of the fragment when absent. */
    gpu_services: z.array(identifier).optional(),
    dependency_files: z.array(z.string()).default([]),
    /** Files of the template's starter/ folder that `envctl new` puts in a new project, so it runs at once. */
    starter_files: z.array(z.string().regex(/^[^/\\]+$/, 'is a file name, without a folder')).default([]),
    /**
     * The built services that run as the user who runs envctl (their image gets that uid and gid, see the
     * built-in Dockerfiles), unless the project sets the parameter `run_as: root`.
     */
    user_services: z.array(identifier).default([]),
    /** The package mirrors of workspace.yml its builds install through (build arguments, see mirrors.ts). */
    mirrors: z.array(z.enum(['pip', 'conda'])).default([]),
  })
  .strict();

export type TemplateDeclaration = z.infer<typeof templateSchema>;
export type TemplatePort = TemplateDeclaration['ports'][string];
export type ParamValue = z.infer<typeof scalar>;
