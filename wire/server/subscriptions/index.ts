export { ConnectionSubscriptions, SubscriptionHub, subscriptionLimitsDefault, type FellBehindEvent, type HubOptions, type HubStats, type SubscriptionLimits, type TopicPublisher } from './subscription-hub';
export { SubscriberSession, type SubscriberSocket } from './subscriber-session';
