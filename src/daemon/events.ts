/**
 * The engine's event stream (`docker events`): every container and image action is published
 * here; subscribers get live events, and a bounded history serves `since`/`until` replays.
 */
import type { EngineEvent } from '../container/contract.js';
import { nowNs } from '../core/humanize.js';

const HISTORY = 1024;

export type EventListener = (e: EngineEvent) => void;

export class EventBus {
  private readonly history: EngineEvent[] = [];
  private readonly listeners = new Set<EventListener>();

  publish(type: EngineEvent['Type'], action: string, id: string, attributes: Record<string, string> = {}): EngineEvent {
    const ns = nowNs();
    const e: EngineEvent = {
      Type: type,
      Action: action,
      Actor: { ID: id, Attributes: attributes },
      scope: 'local',
      time: Number(ns / 1_000_000_000n),
      timeNano: ns,
    };
    if (type === 'container') {
      e.status = action;
      e.id = id;
      if (attributes.image) e.from = attributes.image;
    }
    this.history.push(e);
    if (this.history.length > HISTORY) this.history.shift();
    for (const l of this.listeners) l(e);
    return e;
  }

  /** Events already published with time in [sinceNs, untilNs]. */
  past(sinceNs: bigint | undefined, untilNs: bigint | undefined): EngineEvent[] {
    return this.history.filter((e) => (sinceNs === undefined || e.timeNano >= sinceNs) && (untilNs === undefined || e.timeNano <= untilNs));
  }

  subscribe(fn: EventListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  get listenerCount(): number {
    return this.listeners.size;
  }
}

/** An event as JSON, with its exact 19-digit timeNano (JSON numbers are not limited to doubles). */
export function eventJson(e: EngineEvent): string {
  return JSON.stringify(e, (k, v: unknown) => (k === 'timeNano' ? '__TIME_NANO__' : v)).replace('"__TIME_NANO__"', e.timeNano.toString());
}
