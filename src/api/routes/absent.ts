/**
 * Endpoints for object kinds berth does not have (yet), answered the way dockerd answers for
 * objects that do not exist, so clients that probe them (docker inspect walks containers →
 * images → networks → volumes → plugins) behave exactly as against dockerd.
 */
import { notFound } from '../../core/errors.js';
import type { Route } from '../contract.js';

export function absentRoutes(): Route[] {
  return [
    { method: 'GET', pattern: '/plugins', handler: (_req, res) => res.json([]) },
    {
      method: 'GET',
      pattern: '/plugins/{name*}/json',
      handler: (req) => {
        throw notFound('ERR_PLUGIN_NOT_FOUND', `plugin "${req.params.name}" not found`);
      },
    },
    {
      method: 'GET',
      pattern: '/volumes/{name}',
      handler: (req) => {
        throw notFound('ERR_VOLUME_NOT_FOUND', `get ${req.params.name}: no such volume`);
      },
    },
    {
      method: 'GET',
      pattern: '/networks/{id}',
      handler: (req) => {
        throw notFound('ERR_NETWORK_NOT_FOUND', `network ${req.params.id} not found`);
      },
    },
  ];
}
