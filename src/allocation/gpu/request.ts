import type { GpuAssignment } from './allocate-gpus.js';

/** The Compose `deploy.resources.reservations.devices` entry for an assignment; `count` and `device_ids` never both. */
export function deviceReservation(assignment: GpuAssignment): Record<string, unknown> | undefined {
  switch (assignment.kind) {
    case 'none':
      return undefined;
    case 'all':
      return { driver: 'nvidia', count: 'all', capabilities: ['gpu'] };
    case 'count':
      return { driver: 'nvidia', count: assignment.count, capabilities: ['gpu'] };
    case 'ids':
      return { driver: 'nvidia', device_ids: assignment.ids, capabilities: ['gpu'] };
  }
}

export function describeGpus(assignment: GpuAssignment): string {
  switch (assignment.kind) {
    case 'none':
      return assignment.skipped ? 'none (cpu only)' : '-';
    case 'all':
      return 'all';
    case 'count':
      return `${assignment.count} (any)`;
    case 'ids':
      return `${assignment.ids.join(',')}${assignment.sharing === 'shared' ? ' (shared)' : ''}`;
  }
}
