import { z } from 'zod';
import { gpuSpecSchema } from '../model/gpu-request.js';

export const PROJECT_CONFIG = 'envctl.yml';
export const PROJECT_COMPOSE = 'compose.yml';

const scalar = z.union([z.string(), z.number(), z.boolean()]);
const portNumber = z.number().int().min(1).max(65535);
const bindAddress = z.union([z.ipv4(), z.ipv6()]);

/** One published port's preference: a host port, and optionally the address to publish on. */
const portPreference = z.union([
  portNumber,
  z.object({ port: portNumber.optional(), bind: bindAddress.optional() }).strict(),
]);

export const projectConfigSchema = z
  .object({
    description: z.string().optional(),
    template: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]*$/, 'must name a folder under templates/')
      .optional(),
    params: z.record(z.string(), scalar).optional(),
    ports: z.record(z.string(), portPreference).optional(),
    gpus: gpuSpecSchema.optional(),
    gpu_sharing: z.enum(['exclusive', 'shared']).optional(),
    gpus_optional: z.boolean().optional(),
    placement: z
      .union([
        z.string().min(1),
        z
          .object({
            node: z.string().min(1).optional(),
            labels: z.record(z.string(), scalar).optional(),
          })
          .strict(),
      ])
      .optional(),
    env: z
      .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name'), scalar)
      .optional(),
  })
  .strict();

export type ProjectConfig = z.infer<typeof projectConfigSchema>;
export type PortPreference = z.infer<typeof portPreference>;

export const PROJECT_CONFIG_HELP =
  "envctl.yml accepts: template (a folder under templates/), params (the template's parameters), " +
  'ports (preferred host port per named port, or { port, bind }), ' +
  'gpus (none | all | a count | a list of GPU indexes or UUIDs), gpu_sharing (exclusive | shared), ' +
  'gpus_optional (true to run without a GPU where there is none), placement (a swarm node, or node labels), env (environment variables), ' +
  'description.';
