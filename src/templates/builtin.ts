import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The templates shipped with envctl (the repository's templates/), used when a workspace has none of a name. */
export const BUILTIN_TEMPLATES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'templates');
