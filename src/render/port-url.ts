import type { PortGrant } from '../allocation/ports/port-request.js';
import { substitute } from '../templates/expressions.js';
import { choiceMeanings } from '../templates/params.js';
import { displayAddress } from '../util/display-address.js';
import type { Project } from '../workspace/load.js';

/** The label on a container naming the URL of one of its ports: `dev.envctl.url.8888/tcp`. */
export const URL_LABEL_PREFIX = 'dev.envctl.url.';

export function urlLabel(containerPort: number, protocol: string): string {
  return `${URL_LABEL_PREFIX}${containerPort}/${protocol}`;
}

/** Where a URL label holds a secret's name instead of its value: `{secrets.token}`, never valid in a URL. */
const SECRET_MARK = /\{secrets\.([a-z_][a-z0-9_]*)\}/g;

/**
 * A port's URL from its template's `url:`, reached at hostIp:hostPort. `secrets: 'marked'` leaves each
 * secret as a mark for the container's label, so that no compose file or label holds a token.
 */
export function portUrl(
  project: Project,
  grant: PortGrant,
  at: { hostIp: string; hostPort: number },
  secrets: Record<string, string> | 'marked',
): string | null {
  if (!grant.url) return null;
  const marked = Object.fromEntries(
    Object.keys(project.template?.declaration.secrets ?? {}).map((name) => [name, `{secrets.${name}}`]),
  );
  const scope = {
    ...choiceMeanings(project.template, project.params),
    ports: { [grant.name]: at.hostPort },
    params: project.params,
    project: { name: project.name, dir: project.dir },
    secrets: secrets === 'marked' ? marked : secrets,
    host: { address: displayAddress(at.hostIp) },
  };
  const location = project.template?.source.locate(['ports', grant.name, 'url']) ?? { file: project.name };
  return String(substitute(grant.url, scope, location));
}

/**
 * A port's URL as a container's labels give it, where the browser reaches it now (`host`: host:port, a
 * forward's end or a swarm node's): its template's URL with its secrets filled in, else the bare origin.
 */
export function labelledUrl(
  labels: Record<string, string>,
  port: { containerPort: number; protocol: string },
  secrets: Record<string, string>,
  host: string,
): string {
  const label = labels[urlLabel(port.containerPort, port.protocol)];
  const url = new URL(label ? resolveUrlLabel(label, secrets) : `http://${host}/`);
  url.host = host;
  return url.href;
}

/** A URL label read back: its secrets filled in, or the URL without its query where one is not known. */
function resolveUrlLabel(label: string, secrets: Record<string, string>): string {
  let missing = false;
  const url = label.replace(SECRET_MARK, (_mark, name: string) => {
    const value = secrets[name];
    if (value === undefined) missing = true;
    return encodeURIComponent(value ?? '');
  });
  return missing ? url.replace(/\?.*$/, '') : url;
}
