/**
 * Codes of notification errors. OpenMeter answers 404 for unknown channels, rules and events,
 * and 400 (`ValidationError`) for a rule naming an unknown channel, for deleting a channel that
 * an active rule still uses (`cannot delete channel as it is assigned to one or more rules`) and
 * for updating something already deleted; the snake_case codes are this emulator's names.
 */
export const NotificationErrorCode = {
  channelNotFound: 'notification_channel_not_found',
  ruleNotFound: 'notification_rule_not_found',
  eventNotFound: 'notification_event_not_found',
  channelInvalid: 'notification_channel_invalid',
  ruleInvalid: 'notification_rule_invalid',
  channelInUse: 'notification_channel_assigned_to_rule',
  unknownChannel: 'notification_rule_unknown_channel',
  unknownFeature: 'notification_rule_unknown_feature',
  updateAfterDelete: 'notification_update_after_delete',
  invalidPagination: 'invalid_pagination',
} as const;
export type NotificationErrorCode = (typeof NotificationErrorCode)[keyof typeof NotificationErrorCode];
