/**
 * Container names: validation with Docker's rule, and generated names (`adjective_noun`) for
 * containers created without --name. The word lists are berth's own.
 */
import { randomInt } from 'node:crypto';
import { invalid } from '../core/errors.js';

const NAME_RE = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

const ADJECTIVES = [
  'agile', 'amber', 'ancient', 'azure', 'bold', 'brave', 'bright', 'brisk', 'calm', 'candid', 'clever', 'cosmic',
  'crisp', 'curious', 'daring', 'deft', 'eager', 'earnest', 'electric', 'fearless', 'fervent', 'festive', 'fluent',
  'gallant', 'gentle', 'glad', 'golden', 'graceful', 'hardy', 'hearty', 'humble', 'jolly', 'keen', 'kind', 'lively',
  'lucid', 'mellow', 'merry', 'mighty', 'nimble', 'noble', 'patient', 'placid', 'plucky', 'polished', 'proud',
  'quick', 'quiet', 'radiant', 'rapid', 'restless', 'robust', 'rustic', 'serene', 'sharp', 'silent', 'sleek',
  'smooth', 'snug', 'solid', 'spry', 'steady', 'stoic', 'sturdy', 'sunny', 'swift', 'tidy', 'tranquil', 'trusty',
  'upbeat', 'valiant', 'vivid', 'wandering', 'warm', 'wily', 'wise', 'witty', 'zealous',
];

const NOUNS = [
  'albatross', 'anchor', 'barge', 'beacon', 'bollard', 'bosun', 'breakwater', 'buoy', 'capstan', 'cargo', 'channel',
  'compass', 'cove', 'crane', 'current', 'cutter', 'davit', 'delta', 'dinghy', 'dock', 'estuary', 'ferry', 'fjord',
  'frigate', 'galley', 'gull', 'harbor', 'hawser', 'heron', 'horizon', 'hull', 'inlet', 'jetty', 'keel', 'ketch',
  'lagoon', 'lantern', 'lighthouse', 'marina', 'mast', 'mooring', 'narwhal', 'navigator', 'orca', 'otter', 'pelican',
  'pier', 'pilot', 'port', 'quay', 'reef', 'rudder', 'sail', 'schooner', 'seal', 'sextant', 'shoal', 'skiff',
  'sloop', 'sounding', 'starboard', 'steamer', 'strait', 'tanker', 'tender', 'tern', 'tide', 'trawler', 'tugboat',
  'voyager', 'wake', 'walrus', 'wharf', 'whale', 'windlass', 'yacht', 'yawl',
];

export function checkName(name: string): string {
  if (!NAME_RE.test(name)) {
    throw invalid('ERR_CONTAINER_NAME', `Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  }
  return name.startsWith('/') ? name : `/${name}`;
}

/** A fresh `/adjective_noun` not in `taken` (a digit is appended after a few collisions). */
export function generateName(taken: (name: string) => boolean): string {
  for (let attempt = 0; ; attempt++) {
    let name = `/${ADJECTIVES[randomInt(ADJECTIVES.length)]}_${NOUNS[randomInt(NOUNS.length)]}`;
    if (attempt > 10) name += randomInt(10);
    if (!taken(name)) return name;
  }
}
