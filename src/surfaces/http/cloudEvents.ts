/**
 * The body shapes CloudEvents ingestion allows per media type, on every surface: a batch is a
 * JSON array, a single event is not an array, plain JSON may be either. Each surface decides how
 * it reads the media type (v1 compares the raw header, v3 parses it) and how a refusal looks.
 */
export const CLOUDEVENTS_MEDIA_TYPES: ReadonlySet<string> = new Set(['application/json', 'application/cloudevents+json', 'application/cloudevents-batch+json']);

/** The events of a body, or the reason it is refused. */
export function cloudEventsOf(body: unknown, mediaType: string): { events: unknown[] } | { refusal: string } {
  if (mediaType === 'application/cloudevents-batch+json' && !Array.isArray(body)) return { refusal: 'invalid event: a cloudevents batch must be a JSON array' };
  if (mediaType === 'application/cloudevents+json' && Array.isArray(body)) return { refusal: 'invalid event: expected a single cloudevent' };
  return { events: Array.isArray(body) ? body : [body] };
}
