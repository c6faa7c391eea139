/**
 * OpenMeter v1 notifications (`/api/v1/notification/*`): webhook channels, rules, events.
 * Test and resend commit the event first, then POST it (src/runtime/webhookDelivery.ts) and
 * record each outcome in a second command, so a slow receiver never holds a unit of work open.
 */
import { toApiPage } from '../convert/paging.ts';
import type { components } from '../api.gen.ts';
import { noContent, ok, type HandlerContext, type Reply } from '../../http/types.ts';
import {
  fromApiChannelInput,
  fromApiListChannelsQuery,
  fromApiListEventsQuery,
  fromApiListRulesQuery,
  fromApiRuleInput,
  toApiChannel,
  toApiEvent,
  toApiRule,
} from '../convert/notifications.ts';

type S = components['schemas'];
const svc = (c: HandlerContext) => c.services.notifications;

export const listNotificationChannels = (c: HandlerContext): Reply => {
  const page = c.read((tx) => svc(c).listChannels(tx, fromApiListChannelsQuery(c.query)));
  return ok(toApiPage(page, toApiChannel));
};

export const createNotificationChannel = async (c: HandlerContext): Promise<Reply> =>
  ok(toApiChannel(await c.run((tx) => svc(c).createChannel(tx, fromApiChannelInput(c.body as S['NotificationChannelCreateRequest'])))), 201);

export const getNotificationChannel = (c: HandlerContext): Reply =>
  ok(toApiChannel(c.read((tx) => svc(c).getChannel(tx, { id: c.params.channelId! }))));

export const updateNotificationChannel = async (c: HandlerContext): Promise<Reply> =>
  ok(
    toApiChannel(
      await c.run((tx) =>
        svc(c).updateChannel(tx, { ...fromApiChannelInput(c.body as S['NotificationChannelCreateRequest']), id: c.params.channelId! }),
      ),
    ),
  );

export const deleteNotificationChannel = async (c: HandlerContext): Promise<Reply> => {
  await c.run((tx) => svc(c).deleteChannel(tx, { id: c.params.channelId! }));
  return noContent();
};

export const listNotificationRules = (c: HandlerContext): Reply => {
  const page = c.read((tx) => svc(c).listRules(tx, fromApiListRulesQuery(c.query)));
  return ok(toApiPage(page, toApiRule));
};

export const createNotificationRule = async (c: HandlerContext): Promise<Reply> =>
  ok(toApiRule(await c.run((tx) => svc(c).createRule(tx, fromApiRuleInput(c.body as S['NotificationRuleCreateRequest'])))), 201);

export const getNotificationRule = (c: HandlerContext): Reply => ok(toApiRule(c.read((tx) => svc(c).getRule(tx, { id: c.params.ruleId! }))));

export const updateNotificationRule = async (c: HandlerContext): Promise<Reply> =>
  ok(
    toApiRule(
      await c.run((tx) => svc(c).updateRule(tx, { ...fromApiRuleInput(c.body as S['NotificationRuleCreateRequest']), id: c.params.ruleId! })),
    ),
  );

export const deleteNotificationRule = async (c: HandlerContext): Promise<Reply> => {
  await c.run((tx) => svc(c).deleteRule(tx, { id: c.params.ruleId! }));
  return noContent();
};

/** The event is delivered after the command commits (an effect); the answer shows the outcome. */
export const testNotificationRule = async (c: HandlerContext): Promise<Reply> => {
  const event = await c.run((tx) => svc(c).testRule(tx, { id: c.params.ruleId! }));
  return ok(toApiEvent(c.read((tx) => svc(c).getEvent(tx, { id: event.id }))), 201);
};

export const listNotificationEvents = (c: HandlerContext): Reply => {
  const page = c.read((tx) => svc(c).listEvents(tx, fromApiListEventsQuery(c.query)));
  return ok(toApiPage(page, toApiEvent));
};

export const getNotificationEvent = (c: HandlerContext): Reply => ok(toApiEvent(c.read((tx) => svc(c).getEvent(tx, { id: c.params.eventId! }))));

export const resendNotificationEvent = async (c: HandlerContext): Promise<Reply> => {
  const body = (c.body ?? {}) as S['NotificationEventResendRequest'];
  await c.run((tx) => svc(c).resendEvent(tx, { id: c.params.eventId!, ...(body.channels ? { channels: body.channels } : {}) }));
  return { status: 202 };
};
