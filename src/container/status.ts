/** Docker's human status string of a container (`Up 5 minutes`, `Exited (0) 2 hours ago`, ...). */
import { humanDuration } from '../core/humanize.js';
import type { ContainerState } from './contract.js';

export function statusText(s: ContainerState, now = Date.now()): string {
  const since = (t: string) => humanDuration(now - Date.parse(t));
  switch (s.status) {
    case 'running':
      return `Up ${since(s.startedAt)}`;
    case 'paused':
      return `Up ${since(s.startedAt)} (Paused)`;
    case 'restarting':
      return `Restarting (${s.exitCode}) ${since(s.finishedAt)} ago`;
    case 'removing':
      return 'Removal In Progress';
    case 'dead':
      return 'Dead';
    case 'created':
      return 'Created';
    case 'exited':
      return `Exited (${s.exitCode}) ${since(s.finishedAt)} ago`;
  }
}
